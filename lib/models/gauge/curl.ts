// The curl penalty, the 2-D alternative to the conservative parameterisation (digest B §2.3; the official
// ConservativeSdeGenerativeModel adds lambda E[g(t)^2 (d s_y/dx - d s_x/dy)^2]): a free field is pushed towards a
// gradient field by penalising its curl, computed by reverse mode with the graph kept so training can differentiate
// it again (a double backward, as for the conservative net).
import { Tensor, TensorfieldError } from '../../tensor';
import { enableGrad, grad } from '../../autograd';

/**
 * A 2-D field at x [n, 2] and its curl d s_1/d x_2 - d s_2/d x_1 per row, [n]. The rows must not interact (any
 * score field evaluated row by row): then the gradient of a column's sum over the rows is each row's Jacobian row.
 * createGraph: both stay differentiable (training); otherwise they are detached.
 */
export function fieldAndCurl(field: (x: Tensor) => Tensor, x: Tensor, createGraph = false): { s: Tensor; curl: Tensor } {
  if (!(x instanceof Tensor) || x.ndim !== 2 || x.shape[1] !== 2) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `curl: defined for 2-D fields on points [n, 2], got [${x instanceof Tensor ? x.shape : typeof x}]`);
  }
  return enableGrad(() => {
    const xi = x.requiresGrad ? x : x.detach().requiresGrad_();
    const s = field(xi);
    if (s.ndim !== 2 || s.shape[0] !== x.shape[0] || s.shape[1] !== 2) throw new TensorfieldError('TF_SHAPE_MISMATCH', `curl: the field returned [${s.shape}] for points [${x.shape}]`);
    // a component that does not depend on x (allowUnused) has a zero Jacobian row
    const row = (i: number, last: boolean) => grad(s.select(1, i).sum(), xi, { createGraph, retainGraph: createGraph || !last, allowUnused: true })[0] ?? xi.mul(0);
    const g1 = row(0, false), g2 = row(1, true);
    const curl = g1.select(1, 1).sub(g2.select(1, 0));
    return createGraph ? { s, curl } : { s: s.detach(), curl: curl.detach() };
  });
}

/** The curl of a 2-D field at x [n, 2], [n]. */
export function curl2d(field: (x: Tensor) => Tensor, x: Tensor, createGraph = false): Tensor {
  return fieldAndCurl(field, x, createGraph).curl;
}

/** The penalty mean_i w_i curl_i^2 (w: per-row weights [n], default 1). */
export function curlPenalty(curl: Tensor, w?: Tensor): Tensor {
  const c2 = curl.square();
  return (w ? c2.mul(w) : c2).mean();
}
