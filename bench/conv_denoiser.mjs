// The conv denoiser of the performance baselines (../shared/baselines/models.py ConvDenoiser: 1x28x28,
// 32/64 channels, GroupNorm(8), SiLU, sinusoidal time embedding -> MLP 128, one concat skip), written
// functionally on the engine for benchmarks. Initialisation is uniform(+-1/sqrt(fan_in)) like PyTorch's.
export function makeConvDenoiser(tf, { c1 = 32, c2 = 64, temb = 64, tdim = 128, dtype = 'float32' } = {}) {
  const P = {};
  const uni = (shape, fanIn) => tf.keep(tf.rand(shape, { dtype }).mul(2).sub(1).mul(1 / Math.sqrt(fanIn)));
  const linear = (name, i, o) => { P[`${name}.w`] = uni([i, o], i); P[`${name}.b`] = uni([o], i); };
  const conv = (name, i, o, k) => { P[`${name}.w`] = uni([o, i, k, k], i * k * k); P[`${name}.b`] = uni([o], i * k * k); };
  const norm = (name, c) => { P[`${name}.g`] = tf.keep(tf.ones([c], { dtype })); P[`${name}.b`] = tf.keep(tf.zeros([c], { dtype })); };
  const res = (name, cin, cout) => {
    norm(`${name}.n1`, cin); conv(`${name}.c1`, cin, cout, 3); linear(`${name}.t`, tdim, cout);
    norm(`${name}.n2`, cout); conv(`${name}.c2`, cout, cout, 3);
    if (cin !== cout) conv(`${name}.skip`, cin, cout, 1);
  };
  linear('tm1', temb, tdim); linear('tm2', tdim, tdim);
  conv('inc', 1, c1, 3); res('d1', c1, c1); conv('down', c1, c2, 3); res('d2', c2, c2); res('mid', c2, c2);
  conv('upc', c2, c1, 3); res('u1', 2 * c1, c1); norm('onorm', c1); conv('outc', c1, 1, 3);

  const half = temb / 2;
  const freqs = tf.keep(tf.arange(0, half, 1, { dtype }).mul(-Math.log(10000) / half).exp());
  const lin = (name, x) => x.matmul(P[`${name}.w`]).add(P[`${name}.b`]);
  const cv = (name, x, opts = {}) => tf.conv2d(x, P[`${name}.w`], { bias: P[`${name}.b`], ...opts });
  // silu(groupNorm(x)) as one op: fused into one pass when nothing is differentiated (sampling)
  const gnSilu = (name, x, G = 8) => tf.nn.functional.groupNormSilu(x, G, P[`${name}.g`], P[`${name}.b`]);
  const resblock = (name, x, t) => {
    let h = cv(`${name}.c1`, gnSilu(`${name}.n1`, x), { padding: 1 });
    h = h.add(lin(`${name}.t`, t).reshape(t.shape[0], -1, 1, 1));
    h = cv(`${name}.c2`, gnSilu(`${name}.n2`, h), { padding: 1 });
    return (P[`${name}.skip.w`] ? cv(`${name}.skip`, x) : x).add(h);
  };
  const up2 = (x) => {
    const [N, C, H, W] = x.shape;
    return x.reshape(N, C, H, 1, W, 1).expand(N, C, H, 2, W, 2).reshape(N, C, 2 * H, 2 * W);
  };
  const forward = (x, cNoise) => {
    const a = cNoise.mul(1000).unsqueeze(1).mul(freqs);
    const t = lin('tm2', lin('tm1', tf.cat([a.cos(), a.sin()], 1)).silu()).silu();
    const h0 = resblock('d1', cv('inc', x, { padding: 1 }), t);
    let h = resblock('mid', resblock('d2', cv('down', h0, { stride: 2, padding: 1 }), t), t);
    h = cv('upc', up2(h), { padding: 1 });
    h = resblock('u1', tf.cat([h, h0], 1), t);
    return cv('outc', gnSilu('onorm', h), { padding: 1 });
  };
  return { params: P, forward };
}

// The conv benchmark's training step (bench/train.mjs conv, train_scaling.mjs, op_profile.mjs): EDM
// preconditioning with sigma_data 0.5, ln sigma ~ N(-1.2, 1.2^2), the EDM loss weight, Adam lr 2e-4, batch B drawn
// with replacement from data [N, 1, 28, 28]. Returns the network, its parameters and step() -> loss.
export function makeConvTrainStep(tf, data, B = 128) {
  const net = makeConvDenoiser(tf), params = Object.values(net.params);
  for (const p of params) p.requiresGrad = true;
  const opt = new tf.optim.Adam(params, { lr: 2e-4 });
  const D = (x, sigma) => {
    const s = sigma.reshape(-1, 1, 1, 1), s2 = s.square().add(0.25);
    const cSkip = s2.reciprocal().mul(0.25), cOut = s.mul(0.5).div(s2.sqrt()), cIn = s2.sqrt().reciprocal();
    return x.mul(cSkip).add(net.forward(x.mul(cIn), sigma.log().div(4)).mul(cOut));
  };
  const step = () => tf.tidy(() => {
    const x0 = data.indexSelect(0, tf.randint(0, data.shape[0], [B]));
    const sigma = tf.randn([B]).mul(1.2).sub(1.2).exp();
    const n = tf.randn([B, 1, 28, 28]).mul(sigma.reshape(-1, 1, 1, 1));
    const w = sigma.square().add(0.25).div(sigma.mul(0.5).square());
    const loss = w.reshape(-1, 1, 1, 1).mul(D(x0.add(n), sigma).sub(x0).square()).mean();
    opt.zeroGrad(); loss.backward(); opt.step();
    return loss.item();
  });
  return { net, params, step };
}
