// The MLP denoiser training step of the GPU baselines (../shared/baselines/models.py MLPDenoiser: 2 + sinusoidal
// time embedding 64 -> 3 x 256 SiLU -> 2, epsilon prediction, cosine schedule, Adam lr 1e-3), batch 4096, on
// 'cuda': samples/s from the median step. PyTorch eager: bench/cuda/mlp_torch.py.
import { tf, requireGpu, medianMs, emit } from './common.mjs';
requireGpu();
const { nn, optim } = tf;
const B = 4096, d = 2, temb = 64, h = 256;
const net = new nn.Sequential(new nn.Linear(d + temb, h), new nn.SiLU(), new nn.Linear(h, h), new nn.SiLU(),
  new nn.Linear(h, h), new nn.SiLU(), new nn.Linear(h, d));
net.toDevice('cuda');
const opt = new optim.Adam(net.parameters(), { lr: 1e-3 });
function step() {
  tf.tidy(() => {
    const x0 = tf.randn([B, d], { device: 'cuda' }), t = tf.rand([B], { device: 'cuda' });
    const ab = t.add(0.008).div(1.008).mul(Math.PI / 2).cos().square();
    const eps = tf.randn([B, d], { device: 'cuda' });
    const xt = ab.sqrt().unsqueeze(1).mul(x0).add(ab.neg().add(1).sqrt().unsqueeze(1).mul(eps));
    const inp = tf.cat([xt, nn.functional.sinusoidalEmbedding(t.mul(1000), temb)], 1);
    const loss = net.forward(inp).sub(eps).square().mean();
    opt.zeroGrad();
    loss.backward();
    opt.step();
  });
}
const ms = medianMs(step, { warm: 5, reps: 50 });
emit({ row: 'mlp_train', batch: B, ms, samples_per_s: (B * 1000) / ms });
