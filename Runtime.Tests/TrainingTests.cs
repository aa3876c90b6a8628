using Dsl.Data;
using Dsl.Tests.Data;
using Dsl.Tests.Networks;
using Dsl.Training;
using Xunit;

namespace Dsl.Tests;

/// <summary>End-to-end training on a small MNIST-like set that the test writes as IDX files.</summary>
public sealed class TrainingTests
{
    /// <summary>
    /// Four classes of 8×8 images, each a fixed random prototype plus noise: learnable, but not by a constant guess.
    /// Written under the standard MNIST file names so the real reader and split are used.
    /// </summary>
    private static MnistSplit MakeSplit(TempFolder folder, int trainCount = 1200, int testCount = 200)
    {
        var random = new Random(5);
        byte[][] prototypes = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 64).Select(_ => (byte)random.Next(256)).ToArray()).ToArray();
        (byte[] Images, byte[] Labels) Make(int count)
        {
            var pixels = new byte[count * 64];
            var labels = new byte[count];
            for (int i = 0; i < count; i++)
            {
                labels[i] = (byte)random.Next(4);
                for (int p = 0; p < 64; p++)
                    pixels[i * 64 + p] = (byte)Math.Clamp(prototypes[labels[i]][p] + random.Next(-90, 91), 0, 255);
            }
            return (IdxTestData.Images(count, 8, 8, pixels), IdxTestData.Labels(labels));
        }
        var train = Make(trainCount);
        var test = Make(testCount);
        File.WriteAllBytes(folder.File("train-images-idx3-ubyte"), train.Images);
        File.WriteAllBytes(folder.File("train-labels-idx1-ubyte"), IdxTestData.Gzip(train.Labels)); // mixed raw and gzip
        File.WriteAllBytes(folder.File("t10k-images-idx3-ubyte.gz"), IdxTestData.Gzip(test.Images));
        File.WriteAllBytes(folder.File("t10k-labels-idx1-ubyte"), test.Labels);
        return MnistSplit.Load(folder.Path);
    }

    [Fact]
    public void Training_reduces_the_loss_and_learns_the_classes()
    {
        using var folder = new TempFolder();
        MnistSplit data = MakeSplit(folder);
        using var network = new TinyImageNet.Cpu<float>(20, seed: 3);
        double initialError = Trainer.ErrorPercent(network, data.Validation);
        var reports = new List<ProgressReport>();

        TrainingResult result = Trainer.Train(network, data,
            new TrainerOptions { Epochs = 8, BatchSize = 20, LearningRate = 0.05f, Momentum = 0.5f, Seed = 1 }, reports.Add);

        Assert.Equal(8, reports.Count); // one validation per epoch
        Assert.True(reports[^1].MeanLoss < reports[0].MeanLoss * 0.5, $"loss {reports[0].MeanLoss} → {reports[^1].MeanLoss}");
        Assert.True(initialError > 40, $"an untrained network should be near chance, got {initialError}%");
        Assert.True(result.BestValidationErrorPercent < 10, $"validation error {result.BestValidationErrorPercent}%");
        Assert.True(result.TestErrorPercent < 10, $"test error {result.TestErrorPercent}%");
        Assert.True(result.TrainImagesPerSecond > 0);
    }

    [Fact]
    public void A_user_declared_convolutional_network_trains()
    {
        using var folder = new TempFolder();
        MnistSplit data = MakeSplit(folder);
        using var network = new ThreeConvReluNet.Cpu<float>(20, seed: 3);
        var reports = new List<ProgressReport>();

        TrainingResult result = Trainer.Train(network, data,
            new TrainerOptions { Epochs = 6, BatchSize = 20, LearningRate = 0.05f, Momentum = 0.5f, Seed = 1 }, reports.Add);

        Assert.True(reports[^1].MeanLoss < reports[0].MeanLoss * 0.5, $"loss {reports[0].MeanLoss} → {reports[^1].MeanLoss}");
        Assert.True(result.TestErrorPercent < 10, $"test error {result.TestErrorPercent}%");
    }

    [Fact]
    public void Training_on_the_cpu_is_deterministic_for_a_seed()
    {
        using var folder = new TempFolder();
        MnistSplit data = MakeSplit(folder, trainCount: 400, testCount: 100);
        var options = new TrainerOptions { Epochs = 2, BatchSize = 10, LearningRate = 0.1f, Seed = 9 };
        float[] Run()
        {
            using var network = new TinyImageNet.Cpu<float>(10, seed: 4);
            Trainer.Train(network, data, options);
            return network.Parameters.SelectMany(p => p.Values).ToArray();
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Early_stopping_ends_when_patience_runs_out()
    {
        using var folder = new TempFolder();
        MnistSplit data = MakeSplit(folder, trainCount: 400, testCount: 100);
        using var network = new TinyImageNet.Cpu<float>(10);
        // 33 minibatches per epoch (333 training images / 10); patience of 40 minibatches with no room to grow.
        TrainingResult result = Trainer.Train(network, data,
            new TrainerOptions { Epochs = 100, BatchSize = 10, LearningRate = 0.05f, Patience = 40, PatienceIncrease = 1, ValidationFrequency = 10 });
        Assert.True(result.StoppedEarly);
        Assert.Equal(2, result.Epochs);
    }

    [Fact]
    public void A_diverging_loss_stops_training_with_where_it_happened()
    {
        using var folder = new TempFolder();
        MnistSplit data = MakeSplit(folder, trainCount: 400, testCount: 100);
        using var network = new TinyImageNet.Cpu<float>(10);
        var error = Assert.Throws<TrainingDivergedException>(() => Trainer.Train(network, data,
            new TrainerOptions { Epochs = 5, BatchSize = 10, LearningRate = 1e30f }));
        Assert.Contains("epoch 1", error.Message);
        Assert.Contains("learning rate", error.Message);
    }

    [Fact]
    public void Data_that_does_not_fit_the_network_is_refused_with_both_shapes()
    {
        using var folder = new TempFolder();
        MnistSplit data = MakeSplit(folder, trainCount: 400, testCount: 100);
        using var network = new Examples.Mlp.Cpu<float>(10);
        var error = Assert.Throws<ArgumentException>(() => Trainer.Train(network, data, new TrainerOptions { BatchSize = 10 }));
        Assert.Contains("8×8 = 64", error.Message);
        Assert.Contains("784", error.Message);
    }
}
