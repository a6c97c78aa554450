"""`make demo` (`labforge demo`): the main job on the embedded defaults, and its tool part when spack can be had."""
