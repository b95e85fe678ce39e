// kernels/ops/end.h — closes kernels/ops/begin.h: undefines the entry macros
// that begin.h defaulted, so the next family file starts clean.
#ifdef GANTRY_OP_DEFAULTED_
#undef GANTRY_OP
#undef GANTRY_OP_DEFAULTED_
#endif
#ifdef GANTRY_ELEMENTWISE_DEFAULTED_
#undef GANTRY_ELEMENTWISE
#undef GANTRY_ELEMENTWISE_DEFAULTED_
#endif
