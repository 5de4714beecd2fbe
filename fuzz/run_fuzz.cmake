# Runs the fuzz target on the committed corpus: cmake -DFUZZER=... -DCORPUS=...
# -DWORK=... -DRUNS=... -P run_fuzz.cmake. libFuzzer writes the inputs it finds
# into its first corpus directory: that is WORK, emptied first, so that the
# committed corpus is only read and every run starts from the same inputs.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
execute_process(
  COMMAND "${FUZZER}" -runs=${RUNS} -seed=1 -max_len=4096 -timeout=60 -print_final_stats=1
          -artifact_prefix=${WORK}/ "${WORK}" "${CORPUS}"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the fuzz target failed (exit ${result}); the input that failed is in ${WORK}")
endif()
