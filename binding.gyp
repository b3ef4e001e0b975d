{
  "variables": {
    "tf_common_cflags": ["-O3", "-std=c++17", "-fPIC", "-fno-math-errno", "-fno-trapping-math", "-Wall", "-Werror=switch", "-Wno-unused-function", "-Wno-sign-compare"]
  },
  "targets": [
    {
      "target_name": "tf_avx2",
      "type": "static_library",
      "sources": ["native/cpu/avx2/kernels.cpp", "native/cpu/avx2/gemm_u8s8.cpp", "native/cpu/avx2/fft.cpp", "native/cpu/avx2/linalg.cpp"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["<@(tf_common_cflags)", "-mavx2", "-mfma", "-mf16c", "-ffp-contract=fast"]
    },
    {
      "target_name": "tf_avx512",
      "type": "static_library",
      "sources": ["native/cpu/avx512/kernels.cpp", "native/cpu/avx512/fft.cpp", "native/cpu/avx512/linalg.cpp"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["<@(tf_common_cflags)", "-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-ffp-contract=fast"]
    },
    {
      "target_name": "tf_avx512vnni",
      "type": "static_library",
      "sources": ["native/cpu/avx512vnni/gemm_u8s8.cpp"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["<@(tf_common_cflags)", "-mavx2", "-mfma", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512vnni"]
    },
    {
      "target_name": "tf_amx",
      "type": "static_library",
      "sources": ["native/cpu/amx/gemm_u8s8.cpp", "native/cpu/amx/gemm_bf16.cpp"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["<@(tf_common_cflags)", "-mamx-tile", "-mamx-int8", "-mamx-bf16"]
    },
    {
      "target_name": "tf_avx512bf16",
      "type": "static_library",
      "sources": ["native/cpu/avx512bf16/gemm_bf16.cpp"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["<@(tf_common_cflags)", "-mavx2", "-mfma", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512bf16"]
    },
    {
      # The engine (everything but the front doors), built once here and linked by the addon; native/CMakeLists.txt
      # builds the same files for libtensorfield (test/capi.test.ts checks the two lists agree).
      "target_name": "tf_core",
      "type": "static_library",
      "sources": [
        "native/core/dtype.cpp",
        "native/core/allocator.cpp",
        "native/core/storage.cpp",
        "native/core/context.cpp",
        "native/backend/backend.cpp",
        "native/backend/cuda_absent.cpp",
        "native/cpu/host_elementwise.cpp",
        "native/cpu/host_reduce.cpp",
        "native/cpu/host_matmul.cpp",
        "native/cpu/host_random.cpp",
        "native/cpu/host_draws.cpp",
        "native/cpu/host_conv.cpp",
        "native/cpu/conv_winograd.cpp",
        "native/cpu/host_norm.cpp",
        "native/cpu/host_attention.cpp",
        "native/cpu/host_index.cpp",
        "native/cpu/host_optim.cpp",
        "native/cpu/host_int8.cpp",
        "native/cpu/host_fft.cpp",
        "native/cpu/host_linalg.cpp",
        "native/cpu/fft_plan.cpp",
        "native/core/tensor.cpp",
        "native/cpu/dispatch.cpp",
        "native/cpu/threadpool.cpp",
        "native/cpu/ref/elementwise.cpp",
        "native/cpu/ref/reduce.cpp",
        "native/cpu/ref/gemm.cpp",
        "native/cpu/ref/gemm_u8s8.cpp",
        "native/cpu/ref/norm_rows.cpp",
        "native/cpu/ref/table.cpp",
        "native/cpu/ref/fft.cpp",
        "native/cpu/ref/linalg_rows.cpp",
        "native/cpu/ref/dft.cpp",
        "native/cpu/ref/linalg.cpp",
        "native/autograd/grad_mode.cpp",
        "native/autograd/node.cpp",
        "native/autograd/engine.cpp",
        "native/autograd/forward_ad.cpp",
        "native/autograd/composite.cpp",
        "native/ops/common.cpp",
        "native/ops/creation.cpp",
        "native/ops/unary.cpp",
        "native/ops/binary.cpp",
        "native/ops/reduce.cpp",
        "native/ops/view.cpp",
        "native/ops/matmul.cpp",
        "native/ops/conv.cpp",
        "native/ops/softmax.cpp",
        "native/ops/index.cpp",
        "native/ops/random.cpp",
        "native/ops/inplace.cpp",
        "native/ops/optim.cpp",
        "native/ops/norm.cpp",
        "native/ops/attention.cpp",
        "native/ops/quant.cpp",
        "native/ops/fft.cpp",
        "native/ops/linalg.cpp",
        "native/ops/autograd_meta.cpp",
        "native/fused/common.cpp",
        "native/fused/combine.cpp",
        "native/fused/steps.cpp",
        "native/fused/step_table.cpp",
        "native/io/json.cpp",
        "native/io/safetensors.cpp"
      ],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["<@(tf_common_cflags)", "-march=x86-64", "-mtune=generic"]
    },
    {
      "target_name": "tensorfield",
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except",
        "tf_core",
        "tf_avx2",
        "tf_avx512",
        "tf_avx512vnni",
        "tf_avx512bf16",
        "tf_amx"
      ],
      "sources": [
        "native/napi/convert.cc",
        "native/napi/handle_table.cc",
        "native/napi/handle.cc",
        "native/napi/fused_steps.cc",
        "native/napi/quant.cc",
        "native/napi/addon.cc"
      ],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["<@(tf_common_cflags)", "-march=x86-64", "-mtune=generic"],
      # NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS: when a worker_thread is terminated during a call, napi_throw
      # cannot throw; without it node-addon-api rethrows from its own catch handler and the process aborts.
      "defines": ["NAPI_VERSION=9", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"]
    }
  ]
}
