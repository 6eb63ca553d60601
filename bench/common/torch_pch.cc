// Compiled only to make the precompiled <torch/torch.h> that every benchmark's libtorch peer reuses.
