# Source lists, one per stage (used twice: normal and sanitizer builds).
set(NNCC_IR_SOURCES
  ir/types.cpp ir/attributes.cpp ir/ops.cpp ir/shape_rules.cpp ir/image_rules.cpp ir/image_ops.cpp ir/module.cpp
  ir/builder.cpp ir/printer.cpp ir/dot_printer.cpp ir/ir_lexer.cpp ir/ir_parser.cpp ir/verifier.cpp ir/layout.cpp
  ir/source.cpp ir/diagnostics.cpp ir/suggest.cpp)
list(TRANSFORM NNCC_IR_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/)

set(NNCC_FRONTEND_SOURCES
  frontend/lexer.cpp frontend/parser.cpp frontend/ast_printer.cpp frontend/sema.cpp
  frontend/lower_to_ir.cpp frontend/batch_norm.cpp frontend/decl_checks.cpp frontend/call_args.cpp frontend/frontend.cpp)
list(TRANSFORM NNCC_FRONTEND_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/)

set(NNCC_COMPILER_SOURCES
  compiler/passes/pass_registry.cpp compiler/passes/verify.cpp
  compiler/passes/autodiff.cpp compiler/passes/grad_rules.cpp compiler/passes/expr.cpp compiler/passes/promote_f64.cpp compiler/passes/bf16_products.cpp compiler/passes/rewrite_rules.cpp compiler/passes/simplify.cpp compiler/passes/stabilize.cpp compiler/passes/cse.cpp compiler/passes/fuse.cpp compiler/passes/layouts.cpp compiler/passes/plan_memory.cpp compiler/passes/dce.cpp compiler/passes/optimizer.cpp
  compiler/pipeline.cpp compiler/check_nan.cpp compiler/kernel_plan.cpp compiler/image_call.cpp compiler/index_limit.cpp compiler/codegen/describe.cpp
  compiler/interp/interpreter.cpp compiler/interp/kernels.cpp compiler/interp/params.cpp)
list(TRANSFORM NNCC_COMPILER_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/)

# The only sources that include LLVM headers (slow to compile): codegen and the JIT.
set(NNCC_JIT_SOURCES
  compiler/codegen/emitter.cpp compiler/codegen/vector_math.cpp compiler/codegen/elementwise.cpp
  compiler/codegen/reductions.cpp compiler/codegen/rows.cpp compiler/codegen/losses.cpp
  compiler/codegen/data_movement.cpp compiler/codegen/lower.cpp compiler/codegen/target.cpp compiler/codegen/parallel_codegen.cpp
  compiler/jit/jit.cpp compiler/jit/compiler_api.cpp compiler/jit/object_cache.cpp compiler/jit/perf_map.cpp
  compiler/aot/aot.cpp compiler/aot/link.cpp compiler/aot/c_header.cpp)
list(TRANSFORM NNCC_JIT_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/)

set(NNCC_RUNTIME_SOURCES
  runtime/npy.cpp runtime/memory.cpp runtime/tensor.cpp runtime/arena.cpp runtime/dnnl/matmul.cpp runtime/dnnl/batch_matmul.cpp runtime/dnnl/image.cpp runtime/dnnl/bf16_support.cpp runtime/max_pool_blocked.cpp runtime/kernel_abi.cpp
  runtime/session.cpp runtime/checkpoint.cpp runtime/data/idx.cpp runtime/data/dataset.cpp runtime/data/idx_dataset.cpp
  runtime/data/csv.cpp runtime/data/npy_dataset.cpp runtime/data/synthetic.cpp runtime/data/text_dataset.cpp
  runtime/desc_json.cpp runtime/communicator.cpp runtime/data_parallel.cpp runtime/aot_model.cpp runtime/library.cpp runtime/c_api.cpp)
list(TRANSFORM NNCC_RUNTIME_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/)

set(NNCC_TOOL_SOURCES
  tools/nncc/main.cpp tools/nncc/cmd_check.cpp tools/nncc/cmd_dump.cpp tools/nncc/cmd_opt.cpp
  tools/nncc/cmd_trace.cpp tools/nncc/cmd_explain.cpp tools/nncc/trace_graph.cpp tools/nncc/trace_run.cpp tools/nncc/cmd_gradcheck.cpp tools/nncc/cmd_bench.cpp tools/nncc/cmd_train.cpp tools/nncc/cmd_eval.cpp tools/nncc/cmd_sample.cpp tools/nncc/cmd_compile.cpp tools/nncc/evaluation.cpp tools/nncc/data_options.cpp tools/nncc/interrupt.cpp tools/nncc/svg_plot.cpp tools/nncc/lr_schedule.cpp tools/nncc/tensor_text.cpp tools/nncc/common.cpp tools/nncc/mpi_launch.cpp tools/nncc/standardize.cpp)
list(TRANSFORM NNCC_TOOL_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/)
