// kernels/ops/begin.h — opened by every family file of the op table
// (kernels/ops/*.h), closed by kernels/ops/end.h. Not an include-guarded
// header: a family file is read several times, in different modes.
//
// The two entry macros (one line per op):
//
//   GANTRY_OP(name, Attrs, n_in, n_out, flags)
//       A primitive op: its name (also its OpId), its attribute struct
//       (kernels/attrs.h), how many inputs and outputs its kernels take (-1:
//       variadic) and its flags (kernels/op.h: kNotDifferentiable, kInPlace).
//       Its kernels register themselves in kernels/cpu and kernels/cuda.
//
//   GANTRY_ELEMENTWISE(name, Functor, Attrs, n_in, types, flags)
//       An elementwise op with one output whose scalar math is the GANTRY_HD
//       functor math::Functor<T> (kernels/math.h). Both backends instantiate
//       it for `types` (EwTypes: Floating, Arith, Compare), so the entry *is*
//       the CPU and CUDA kernels and their registration.
//
// A reader defines the macros it needs before including the file; the ones it
// leaves undefined expand to nothing. Besides the entries, a family file holds
// each op's public API and derivative, in two guarded sections:
//
//   #if defined(GANTRY_OPS_DECLARE)   declarations (read by autograd/ops.h)
//   #if defined(GANTRY_OPS_DEFINE)    definitions: checks, dispatch and the
//                                     backward, compiled once, into autograd
//                                     (CMake generates one translation unit
//                                     per family: build/generated/autograd/)
//
// Only autograd compiles those sections, so the kernels never link against
// autograd: the per-layer link check (CMakeLists.txt) proves it.
#ifndef GANTRY_OP
#define GANTRY_OP(name, Attrs, n_in, n_out, flags)
#define GANTRY_OP_DEFAULTED_
#endif
#ifndef GANTRY_ELEMENTWISE
#define GANTRY_ELEMENTWISE(name, Functor, Attrs, n_in, types, flags)
#define GANTRY_ELEMENTWISE_DEFAULTED_
#endif
