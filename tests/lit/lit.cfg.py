# lit configuration for nncc's FileCheck tests (tests/lit/**/*.nn, *.nnir).
import os
import lit.formats

config.name = "nncc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".nn", ".nnir", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "update_dump_tests.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = config.nncc_obj_root

config.substitutions.append(("%nncc", os.path.join(config.nncc_bin, "nncc")))
config.substitutions.append(("%examples", os.path.join(config.nncc_src_root, "examples")))
config.substitutions.append(("FileCheck", config.filecheck))
config.environment["OMP_NUM_THREADS"] = "1"
# Compiled models go to a cache in the build tree, not the user's ~/.cache.
config.environment["NNCC_CACHE_DIR"] = os.path.join(config.nncc_obj_root, "jit-cache")
config.substitutions.append(
    ("%expect-exit", "python3 " + os.path.join(config.test_source_root, "Inputs", "expect_exit.py")))
config.substitutions.append(
    ("%interrupt-after", "python3 " + os.path.join(config.test_source_root, "Inputs", "interrupt_after.py")))
config.substitutions.append(
    ("%perf-map", "python3 " + os.path.join(config.test_source_root, "Inputs", "perf_map.py")))
config.substitutions.append(
    ("%write-npy", "python3 " + os.path.join(config.test_source_root, "Inputs", "write_npy.py")))
# The C++ compiler of the build, for tests of compile-time checks.
config.substitutions.append(("%cxx", config.cxx))
config.substitutions.append(("%src", config.nncc_src_root))
# Optional tools: tests that need them say REQUIRES: <feature>.
import shutil
if shutil.which("chromium") or shutil.which("chromium-browser"):
    config.available_features.add("chromium")
# Data-parallel runs: an nncc built with MPI, and mpirun (root needs
# --allow-run-as-root; more processes than cores --oversubscribe).
if config.have_mpi and shutil.which("mpirun"):
    config.available_features.add("mpi")
    config.substitutions.append(("%mpirun", "mpirun --oversubscribe --allow-run-as-root"))
