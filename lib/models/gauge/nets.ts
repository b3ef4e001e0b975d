// The two parameterisations compared by the paper (digest B §2.3): a free field s_theta: R^{D+1} -> R^D, and a
// conservative one s = grad_x E_theta with E_theta: R^{D+1} -> R, both MLPs with SiLU (C^2, so the energy's
// Hessian, the conservative field's Jacobian, is not zero almost everywhere as with ReLU). Time enters as an input
// feature log(sigma) / 4 (EDM's noise label).
import { Tensor } from '../../tensor';
import { cat } from '../../ops';
import { Module } from '../../nn/module';
import { Linear } from '../../nn/layers';
import { enableGrad, grad } from '../../autograd';

abstract class ScoreNet extends Module {
  protected layers: Linear[] = [];
  protected build(dims: number[]): void {
    this.layers = dims.slice(1).map((d, i) => this.module(`l${i}`, new Linear(dims[i], d)));
  }
  protected trunk(x: Tensor, sigma: Tensor): Tensor {
    let h = cat([x, sigma.log().mul(0.25).reshape(-1, 1).to(x.dtype)], 1);
    this.layers.forEach((l, i) => { h = l.forward(h); if (i < this.layers.length - 1) h = h.silu(); });
    return h;
  }
  /** The score at x [n, D] and noise levels sigma [n]; `createGraph` keeps what training differentiates. */
  abstract score(x: Tensor, sigma: Tensor, createGraph?: boolean): Tensor;
}

/** s = net(x, sigma): D outputs. */
export class FreeScoreNet extends ScoreNet {
  constructor(readonly dim: number, hidden = 128, depth = 3) {
    super();
    this.build([dim + 1, ...Array(depth).fill(hidden), dim]);
  }
  score(x: Tensor, sigma: Tensor): Tensor { return this.trunk(x, sigma); }
}

/**
 * s = grad_x E(x, sigma): one output, differentiated by reverse mode. createGraph: the returned score stays
 * differentiable (training differentiates the loss through it; Jacobians of it need it too); otherwise it is
 * detached.
 */
export class ConservativeScoreNet extends ScoreNet {
  constructor(readonly dim: number, hidden = 128, depth = 3) {
    super();
    this.build([dim + 1, ...Array(depth).fill(hidden), 1]);
  }
  energy(x: Tensor, sigma: Tensor): Tensor { return this.trunk(x, sigma).reshape(-1); }
  score(x: Tensor, sigma: Tensor, createGraph = false): Tensor {
    // the score is a gradient even where the caller records nothing (a sampler under noGrad)
    return enableGrad(() => {
      const xi = x.requiresGrad ? x : x.detach().requiresGrad_();
      const [g] = grad(this.energy(xi, sigma).sum(), xi, { createGraph });
      return createGraph ? g! : g!.detach();
    });
  }
}
