using static Dsl.Activation;

namespace Dsl.Tests.Networks;

// Small networks declared the way users declare theirs: each hidden activation once, an image input that Dense
// flattens, and a deep stack mixing them all. The generator runs on this project, so these are generated too.

[Input(7)] [Dense(6, Identity)] [Dense(3, Softmax)]
public partial class IdentityNet { }

[Input(7)] [Dense(6, Sigmoid)] [Dense(3, Softmax)]
public partial class SigmoidNet { }

[Input(7)] [Dense(6, Tanh)] [Dense(3, Softmax)]
public partial class TanhNet { }

[Input(7)] [Dense(6, Relu)] [Dense(3, Softmax)]
public partial class ReluNet { }

[Input(2, 3, 4)] [Dense(9, Relu)] [Dense(8, Sigmoid)] [Dense(7, Tanh)] [Dense(6, Identity)] [Dense(5, Softmax)]
public partial class DeepNet { }

/// <summary>A small classifier for 8×8 images of 4 classes, for training tests.</summary>
[Input(1, 8, 8)] [Dense(16, Tanh)] [Dense(4, Softmax)]
public partial class TinyImageNet { }
