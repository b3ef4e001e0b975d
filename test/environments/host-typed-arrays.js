// A jest environment whose typed-array constructors are the host's: native addons (onnxruntime-node, and
// tensorfield's own) hand back arrays made in the host realm, and onnxruntime-common checks `instanceof
// Float32Array` against the sandbox's constructor, which a host array fails. Used by test/onnx-export.test.ts.
const { TestEnvironment } = require('jest-environment-node');

class HostTypedArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of ['ArrayBuffer', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array',
      'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array']) this.global[name] = globalThis[name];
  }
}
module.exports = HostTypedArraysEnvironment;
