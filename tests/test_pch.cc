// Compiled only to make the precompiled header (Catch2 and mxpp whole) that the test programs reuse.
