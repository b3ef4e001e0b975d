// safetensors.torch's save_file / load_file under their Python names and argument order (tensors first), so
// code ports from Python as written. They are saveSafetensors / loadSafetensors underneath: the same format,
// atomic writes, data hash and TF_BAD_FILE checks.
import { Tensor, TensorfieldError } from '../tensor';
import { loadSafetensors, saveSafetensors } from './safetensors';
import type { Metadata, TensorMap } from './safetensors';

/** save_file(tensors, filename, metadata=None): writes `tensors` to `file`. */
export function saveFile(tensors: TensorMap, file: string, metadata?: Metadata): void {
  // The two orders are easy to mix up between saveSafetensors(file, tensors) and this; say which is which
  // instead of failing later on a string used as a tensor map.
  if (typeof tensors === 'string' || typeof file !== 'string')
    throw new TensorfieldError('TF_INVALID_ARGUMENT',
      'io.saveFile(tensors, file, metadata?) takes the tensors first, as Python\'s save_file; ' +
      'io.saveSafetensors(file, tensors, metadata?) takes the file first');
  saveSafetensors(file, tensors, metadata);
}

/**
 * load_file(filename): the tensors by name, in file order (the metadata is dropped, as in Python; use
 * loadSafetensors for it). The Map goes straight into module.loadStateDict.
 */
export function loadFile(file: string): Map<string, Tensor> {
  if (typeof file !== 'string')
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `io.loadFile(file): file must be a path string, got ${typeof file}`);
  return loadSafetensors(file).tensors;
}
