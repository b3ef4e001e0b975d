// EDM's network in an ONNX export (tf.io.exportOnnx, tensorfield export): F(x, c_noise) is its MLP or U-Net.
// The preconditioning (c_in, c_skip, c_out) stays outside, as it does in sampling, so the exported graph is
// exactly what evalNetwork() runs.
import { registerOnnxEmitter } from '../../io/onnx/graph';
import { EDMNet } from './method';

registerOnnxEmitter(EDMNet, (ctx, m, [x, cNoise]) => ctx.emit((m.mlp ?? m.unet)!, [x, cNoise]));
