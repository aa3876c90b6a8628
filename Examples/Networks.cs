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
