using static Dsl.Activation;

namespace Dsl.Examples;

/// <summary>The Theano tutorial's logistic regression: one softmax layer on the 784 pixels.</summary>
[Input(784)]
[Dense(10, Softmax)]
public partial class LogisticRegression { }

/// <summary>The Theano tutorial's multilayer perceptron: 500 tanh hidden units, then softmax.</summary>
[Input(784)]
[Dense(500, Tanh)]
[Dense(10, Softmax)]
public partial class Mlp { }

/// <summary>The Theano tutorial's convolutional network (LeNet5 as in convolutional_mlp.py): two 5×5 tanh
/// convolutions with 2×2 max-pooling, 500 tanh units, softmax.</summary>
[Input(1, 28, 28)]
[Conv(5, 5, 20, Tanh)] [MaxPool(2)]
[Conv(5, 5, 50, Tanh)] [MaxPool(2)]
[Dense(500, Tanh)]
[Dense(10, Softmax)]
public partial class LeNet5 { }
