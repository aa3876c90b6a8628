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

/// <summary>The Theano tutorial's Deep Belief Network (DBN.py): three RBMs of 1000 binary units, each pre-trained with
/// CD-1 (learning rate 0.01, 100 epochs), then fine-tuned with a softmax on top as a sigmoid MLP.</summary>
[Input(784)]
[Rbm(1000)]
[Rbm(1000)]
[Rbm(1000)]
[Dense(10, Softmax)]
public partial class Dbn { }

/// <summary>The Theano tutorial's RBM (rbm.py): 500 hidden units trained alone with PCD-15, learning rate 0.1, for 15
/// epochs. The softmax on top is what makes it a network the CLI can also fine-tune; the example only pre-trains.</summary>
[Input(784)]
[Rbm(500, GibbsSteps = 15, Persistent = true, LearningRate = 0.1, Epochs = 15)]
[Dense(10, Softmax)]
public partial class RbmMnist { }
