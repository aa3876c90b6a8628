using System.Reflection;
using Dsl.Training;

namespace Dsl.Examples;

/// <summary>A network the CLI can train, with the hyper-parameters of the tutorial it comes from.</summary>
/// <param name="Name">Command-line name.</param>
/// <param name="Origin">Where the network and its defaults come from.</param>
/// <param name="Info">The generated network's declaration.</param>
/// <param name="Create">The generated factory: device, batch capacity, seed.</param>
/// <param name="Defaults">The tutorial's training settings.</param>
/// <param name="PretrainOnly">Whether the example ends after pre-training its RBMs unless --epochs asks for more.</param>
internal sealed record Example(string Name, string Origin, NetworkInfo Info, Func<ComputeDevice, int, int, INetwork> Create, TrainerOptions Defaults,
    bool PretrainOnly = false);

internal static class ExampleCatalog
{
    /// <summary>The tutorials' networks with their defaults.</summary>
    private static readonly Example[] Tutorials =
    [
        new("lr", "logistic regression, Theano tutorial logistic_sgd.py", LogisticRegression.Info, LogisticRegression.Create,
            new TrainerOptions { BatchSize = 600, LearningRate = 0.13f, Epochs = 1000, Patience = 5000, Seed = 1234 }),
        new("mlp", "multilayer perceptron, Theano tutorial mlp.py", Mlp.Info, Mlp.Create,
            new TrainerOptions { BatchSize = 20, LearningRate = 0.01f, L2 = 0.0001f, Epochs = 1000, Patience = 10_000, Seed = 1234 }),
        new("lenet5", "convolutional network, Theano tutorial convolutional_mlp.py", LeNet5.Info, LeNet5.Create,
            new TrainerOptions { BatchSize = 500, LearningRate = 0.1f, Epochs = 200, Patience = 10_000, Seed = 23455 }),
        new("dbn", "deep belief network, Theano tutorial DBN.py", Dbn.Info, Dbn.Create,
            new TrainerOptions { BatchSize = 10, LearningRate = 0.1f, Epochs = 1000, Patience = 20_000, Seed = 123 }),
        new("rbm", "restricted Boltzmann machine, Theano tutorial rbm.py", RbmMnist.Info, RbmMnist.Create,
            new TrainerOptions { BatchSize = 20, LearningRate = 0.1f, Epochs = 0, Patience = 10_000, Seed = 123 }, PretrainOnly: true),
    ];

    /// <summary>Training settings for a network that comes with none: the multilayer perceptron's, without L2.</summary>
    public static TrainerOptions DeclaredDefaults { get; } =
        new() { BatchSize = 20, LearningRate = 0.01f, Epochs = 1000, Patience = 10_000, Seed = 1234 };

    /// <summary>The tutorials' networks, then every other network declared in this project (e.g. one added to
    /// Networks.cs for a data set of your own), by class name in lower case.</summary>
    public static IReadOnlyList<Example> All { get; } =
        [.. Tutorials, .. Declared(typeof(ExampleCatalog).Assembly).Where(d => Tutorials.All(t => t.Info.Name != d.Info.Name))];

    public static Example? Find(string name) => Find(All, name);

    public static Example? Find(IEnumerable<Example> catalog, string name) =>
        catalog.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Every generated network in <paramref name="assembly"/>: a class with the generated static <c>Info</c>
    /// (a <see cref="NetworkInfo"/>) and <c>Create(ComputeDevice, int, int)</c>, with <see cref="DeclaredDefaults"/>.
    /// </summary>
    public static IEnumerable<Example> Declared(Assembly assembly) =>
        from type in assembly.GetTypes()
        where type.IsClass && !type.IsNested
        let info = type.GetProperty("Info", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as NetworkInfo
        let create = type.GetMethod("Create", BindingFlags.Public | BindingFlags.Static, [typeof(ComputeDevice), typeof(int), typeof(int)])
        where info is not null && create is not null && create.ReturnType == typeof(INetwork)
        orderby type.Name
        select new Example(type.Name.ToLowerInvariant(), $"declared in {type.FullName}", info,
            create.CreateDelegate<Func<ComputeDevice, int, int, INetwork>>(), DeclaredDefaults);
}
