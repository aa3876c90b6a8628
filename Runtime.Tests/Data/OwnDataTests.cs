using Dsl.Data;
using Dsl.Examples;
using Dsl.Tests.Checkpoints;
using Dsl.Tests.Networks;
using Dsl.Training;
using Xunit;

namespace Dsl.Tests.Data;

/// <summary>
/// A data set that is not MNIST (8×8 images of 4 classes, written as IDX files to a temporary folder): it loads,
/// a network declared for it trains from code and from the CLI, and the CLI refuses a network that does not fit,
/// naming both shapes.
/// </summary>
public sealed class OwnDataTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>The networks declared in this test project, as the CLI lists those of the Examples project.</summary>
    private static readonly IReadOnlyList<Example> Declared = [.. ExampleCatalog.Declared(typeof(TinyImageNet).Assembly)];

    [Fact]
    public void An_8x8_four_class_set_loads_with_test_names_and_gzip_and_a_sixth_held_out()
    {
        SyntheticData.WriteMnistFolder(_folder.Path, side: 8, classes: 4, trainCount: 720, testCount: 120);
        foreach (string kind in (string[])["images-idx3-ubyte", "labels-idx1-ubyte"])
        {
            string t10k = _folder.File($"t10k-{kind}");
            File.WriteAllBytes(_folder.File($"test-{kind}.gz"), IdxTestData.Gzip(File.ReadAllBytes(t10k)));
            File.Delete(t10k);
        }

        MnistSplit data = MnistSplit.Load(_folder.Path);

        Assert.Equal((8, 8, 4), (data.Train.Height, data.Train.Width, data.Classes));
        Assert.Equal((600, 120, 120), (data.Train.Count, data.Validation.Count, data.Test.Count));
        Assert.Equal(64, data.Test.Features);
    }

    [Fact]
    public void A_network_declared_for_it_trains_from_code()
    {
        SyntheticData.WriteMnistFolder(_folder.Path, side: 8, classes: 4, trainCount: 720, testCount: 120);
        MnistSplit data = MnistSplit.Load(_folder.Path);
        using ComputeDevice device = ComputeDevice.Open(DeviceKind.Cpu);
        using INetwork network = TinyImageNet.Create(device, batchCapacity: 20, seed: 1);

        TrainingResult result = Trainer.Train(network, data, new TrainerOptions { BatchSize = 20, LearningRate = 0.1f, Epochs = 5 });

        Assert.True(result.TestErrorPercent < 30, $"test error {result.TestErrorPercent}% (chance: 75%)");
    }

    [Fact]
    public void The_cli_trains_a_network_declared_for_it_by_its_class_name()
    {
        SyntheticData.WriteMnistFolder(_folder.Path, side: 8, classes: 4, trainCount: 720, testCount: 120);
        var output = new StringWriter();

        int code = Cli.Run(["tinyimagenet", "--data", _folder.Path, "--device", "cpu", "--epochs", "3", "--lr", "0.1"], output, Declared);

        Assert.True(code == 0, output.ToString());
        Assert.Contains("tinyimagenet: Input(1, 8, 8) → Dense(16, Tanh) → Dense(4, Softmax)", output.ToString());
        Assert.Contains("600 train / 120 validation / 120 test images of 8×8, 4 classes", output.ToString());
        Assert.Contains("done: 3 epochs", output.ToString());
    }

    [Fact]
    public void The_cli_refuses_a_network_whose_input_size_differs_naming_both_shapes()
    {
        SyntheticData.WriteMnistFolder(_folder.Path, side: 8, classes: 4, trainCount: 120, testCount: 24);

        var refused = Assert.Throws<CliException>(() => Cli.Run(["lr", "--data", _folder.Path, "--device", "cpu"], TextWriter.Null));

        Assert.Equal($"lr (Input(784) → Dense(10, Softmax)) does not fit the data in {_folder.Path}: it takes 784 values per image, " +
                     "the data has 1×8×8 images (64 values). Declare a network for this data, starting with [Input(1, 8, 8)] " +
                     "(or [Input(64)]) and ending with [Dense(4, Softmax)], in Examples/Networks.cs, and train it by its class name " +
                     "(README: \"Your own data\").", refused.Message);
    }

    [Fact]
    public void The_cli_refuses_an_image_network_for_images_of_another_shape_with_as_many_pixels()
    {
        var random = new Random(2);
        byte[] labels = [.. Enumerable.Range(0, 60).Select(i => (byte)(i % 4))];
        byte[] pixels = [.. Enumerable.Range(0, 60 * 64).Select(_ => (byte)random.Next(256))];
        IdxTestData.WriteAll(_folder.Path, new Dictionary<string, byte[]>
        {
            ["train-images-idx3-ubyte"] = IdxTestData.Images(60, 4, 16, pixels),
            ["train-labels-idx1-ubyte"] = IdxTestData.Labels(labels),
            ["t10k-images-idx3-ubyte"] = IdxTestData.Images(60, 4, 16, pixels),
            ["t10k-labels-idx1-ubyte"] = IdxTestData.Labels(labels),
        });

        var refused = Assert.Throws<CliException>(() => Cli.Run(["tinyimagenet", "--data", _folder.Path], TextWriter.Null, Declared));

        Assert.Contains("tinyimagenet (Input(1, 8, 8) → Dense(16, Tanh) → Dense(4, Softmax)) does not fit the data", refused.Message);
        Assert.Contains("it takes 1×8×8 images, the data has 1×4×16 images (64 values)", refused.Message);
        Assert.Contains("starting with [Input(1, 4, 16)] (or [Input(64)])", refused.Message);
    }

    [Fact]
    public void The_cli_refuses_more_classes_than_the_network_scores_and_notes_fewer()
    {
        SyntheticData.WriteMnistFolder(_folder.Path, side: 8, classes: 6, trainCount: 240, testCount: 60);

        var refused = Assert.Throws<CliException>(() => Cli.Run(["tinyimagenet", "--data", _folder.Path], TextWriter.Null, Declared));

        Assert.Contains("it scores 4 classes, the data has 6 (labels 0 to 5)", refused.Message);
        Assert.DoesNotContain("takes", refused.Message);
        Assert.Contains("ending with [Dense(6, Softmax)]", refused.Message);

        // A network that scores more classes than the data has can still train; the CLI says so.
        using var fewer = new TempFolder();
        SyntheticData.WriteMnistFolder(fewer.Path, side: 28, classes: 4, trainCount: 120, testCount: 24);
        var output = new StringWriter();
        Assert.Equal(0, Cli.Run(["lr", "--data", fewer.Path, "--device", "cpu", "--epochs", "1", "--batch", "20"], output));
        Assert.Contains("note: lr scores 10 classes, the data has 4", output.ToString());
    }

    [Fact]
    public void The_catalog_lists_the_tutorials_first_then_every_declared_network_once()
    {
        Assert.Equal(["lr", "mlp", "lenet5"], ExampleCatalog.All.Take(3).Select(e => e.Name));
        Assert.Equal(ExampleCatalog.All.Count, ExampleCatalog.All.Select(e => e.Name).Distinct().Count());

        Example tiny = Assert.Single(Declared, e => e.Name == "tinyimagenet");
        Assert.Same(TinyImageNet.Info, tiny.Info);
        Assert.Equal(ExampleCatalog.DeclaredDefaults, tiny.Defaults);
        using ComputeDevice device = ComputeDevice.Open(DeviceKind.Cpu);
        using INetwork network = tiny.Create(device, 5, 1);
        Assert.Equal(TinyImageNet.Info, network.Info);
    }
}
