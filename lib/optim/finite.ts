// Is every element of these tensors finite? Asked of the gradients before each optimizer step and of a
// non-finite gradient norm. There is no multi-tensor all-finite reduction in the native layer, so this uses the
// cheapest exact test the ops give: one native sum per tensor, the sums added on the device and read back once
// (one sync per step, no element leaves native memory). A NaN or an infinity in any element makes its sum, and
// so the total, non-finite; a finite total therefore proves every element finite. Only a non-finite total (a
// real NaN/Inf, or finite values whose sum overflowed) pays for the exact per-tensor test that tells them apart.
import type { DeviceName, Tensor } from '../tensor';
import { tidy } from '../scope';
import { noGrad } from '../autograd';

const isFloat = (t: Tensor) => t.dtype === 'float32' || t.dtype === 'float64';

/** How many of `tensors` hold a NaN or an infinity (0: all finite). */
export function countNonFinite(tensors: readonly Tensor[]): number {
  const floats = tensors.filter((t) => isFloat(t) && t.numel() > 0);
  if (floats.length === 0) return 0;
  return noGrad(() => tidy(() => {
    let total = floats[0].sum();
    for (let i = 1; i < floats.length; i++) {
      const s = floats[i].sum();
      total = total.add(s.device === total.device ? s : s.to(total.device as DeviceName));
    }
    if (Number.isFinite(total.item())) return 0;
    let bad = 0;
    for (const t of floats) if (t.isfinite().amin().item() === 0) bad++;
    return bad;
  }));
}
