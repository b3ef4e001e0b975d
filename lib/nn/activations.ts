// Parameter-free modules under PyTorch's names and constructor signatures (torch.nn.SiLU, GELU, Flatten, ...),
// so a PyTorch model ports line by line: `nn.Sequential(nn.Linear(4, 8), nn.SiLU())` keeps its layer indices,
// and with them its state-dict keys ("0.weight", "2.weight"). Each forwards to the engine op of the same name.
import { Tensor, TensorfieldError } from '../tensor';
import { Module } from './module';

export class SiLU extends Module {
  forward(x: Tensor): Tensor { return x.silu(); }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor { return x.relu(); }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor { return x.tanh(); }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return x.sigmoid(); }
}

/** GELU: exact (erf) by default, or the tanh approximation, as torch.nn.GELU(approximate='none' | 'tanh'). */
export class GELU extends Module {
  constructor(public approximate: 'none' | 'tanh' = 'none') {
    super();
    // Checked here because Tensor.gelu treats any other string as 'none', which would hide a typo.
    if (approximate !== 'none' && approximate !== 'tanh')
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `GELU: approximate must be 'none' or 'tanh', got '${String(approximate)}'`);
  }
  forward(x: Tensor): Tensor { return x.gelu(this.approximate); }
}

/** Returns its input (a placeholder that keeps layer indices, as torch.nn.Identity). */
export class Identity extends Module {
  forward(x: Tensor): Tensor { return x; }
}

/** Flattens dims startDim..endDim into one; PyTorch's module default keeps the batch dim (startDim = 1). */
export class Flatten extends Module {
  constructor(public startDim = 1, public endDim = -1) { super(); }
  forward(x: Tensor): Tensor { return x.flatten(this.startDim, this.endDim); }
}
