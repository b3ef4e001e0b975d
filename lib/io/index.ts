// File formats: safetensors tensors files and training checkpoints built on them.
export {
  saveSafetensors, saveSafetensorsAsync, loadSafetensors, loadSafetensorsAsync, serializeSafetensors, parseSafetensors,
  readSafetensorsHeader, MAX_HEADER_BYTES, DATA_SHA256_KEY,
} from './safetensors';
export { saveFile, loadFile } from './save_file';
export type {
  SafetensorsDType, SafetensorsContents, SafetensorsEntry, SafetensorsHeader, TensorMap, Metadata,
} from './safetensors';
export { saveCheckpoint, saveCheckpointAsync, loadCheckpoint, loadCheckpointAsync, CHECKPOINT_FORMAT_VERSION } from './checkpoint';
export type { CheckpointState, LoadCheckpointTargets, LoadedCheckpoint } from './checkpoint';
export { writeFileAtomic, writeFileAtomicSync } from './atomic';
export { exportOnnx, ONNX_OPSET, ONNX_IR_VERSION } from './onnx/export';
export type { ExportOnnxOptions, ExportOnnxResult } from './onnx/export';
export { registerOnnxEmitter, OnnxContext } from './onnx/graph';
export type { OnnxEmitter, OnnxExportable } from './onnx/graph';
export { encodePNG, savePNG, imageGrid, saveImageGrid, crc32 } from './png';
export type { RawImage, ImageGridOptions } from './png';
export { scatterImage, saveScatterPNG, linePlotSVG, saveLinePlot } from './plot';
export type { ScatterOptions, LineSeries, LinePlotOptions } from './plot';
export { fanChartSVG, saveFanChart } from './fan-chart';
export type { Fan, FanBand, FanChartOptions } from './fan-chart';
