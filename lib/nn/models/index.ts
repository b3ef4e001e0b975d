export { MLPDenoiser } from './mlp_denoiser';
export type { MLPDenoiserConfig } from './mlp_denoiser';
export { UNet, ResBlock } from './unet';
export type { UNetConfig } from './unet';
export { Transformer, TransformerBlock } from './transformer';
export type { TransformerConfig } from './transformer';
export { ConvDenoiser, ConvDenoiserBlock } from './conv_denoiser';
export type { ConvDenoiserConfig } from './conv_denoiser';
export { DiTBlock, DiTFinalLayer, PatchEmbed, patchify, unpatchify, sincos2d } from './dit';
