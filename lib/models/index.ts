// Importing this registers every method with the registry (lib/registry.ts).
import './edm';
import './scm';
import './interpolants/register';
import './gauge/register';
import './blackout';
import './dsno';
import './diffusion-blocks/register';
import './fdp';
import './quant-diffusion';
import './spd';
