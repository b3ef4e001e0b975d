// Stochastic process diffusion (Biloš et al., ICML 2023): noise processes over irregular time stamps. See README.md.
export * from './noise';
