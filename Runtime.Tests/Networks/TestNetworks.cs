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

// Convolution and pooling in the combinations the examples do not have: padding, stride, overlapping pooling,
// pooling first, a conv straight after the input and after a pool, each activation.

[Input(2, 10, 10)] [Conv(3, 3, 3, Tanh)] [MaxPool(2)] [Conv(3, 3, 4, Relu, Padding = 1)] [MaxPool(2, Stride = 1)]
[Dense(5, Sigmoid)] [Dense(3, Softmax)]
public partial class SmallLeNet { }

[Input(3, 9, 9)] [Conv(3, 3, 5, Sigmoid, Stride = 2, Padding = 1)] [Conv(2, 2, 4, Identity)] [Dense(3, Softmax)]
public partial class StridedConvNet { }

[Input(1, 6, 6)] [MaxPool(2)] [Conv(2, 2, 2, Tanh)] [Dense(3, Softmax)]
public partial class PoolFirstNet { }

/// <summary>A sigmoid convolution under an overlapping pool: the CPU path applies the sigmoid after pooling.</summary>
[Input(2, 8, 8)] [Conv(2, 2, 3, Sigmoid)] [MaxPool(3, Stride = 2)] [Dense(3, Softmax)]
public partial class SigmoidPoolNet { }

/// <summary>A network a user might write (three 3×3 ReLU convolutions with padding), for 8×8 images of 4 classes.</summary>
[Input(1, 8, 8)]
[Conv(3, 3, 6, Relu, Padding = 1)]
[Conv(3, 3, 6, Relu, Padding = 1)] [MaxPool(2)]
[Conv(3, 3, 8, Relu, Padding = 1)] [MaxPool(2)]
[Dense(4, Softmax)]
public partial class ThreeConvReluNet { }

/// <summary>A small Deep Belief Network for 8×8 images of 4 classes: a CD-1 RBM, a PCD-2 RBM, softmax.</summary>
[Input(1, 8, 8)]
[Rbm(12, LearningRate = 0.05, Epochs = 5)]
[Rbm(8, GibbsSteps = 2, Persistent = true, LearningRate = 0.05, Epochs = 5)]
[Dense(4, Softmax)]
public partial class TinyDbn { }
