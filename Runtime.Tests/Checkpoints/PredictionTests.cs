using Dsl.Checkpoints;
using Dsl.Tests.Data;
using Dsl.Tests.Networks;
using Dsl.Training;
using Xunit;

namespace Dsl.Tests.Checkpoints;

/// <summary>Classifying from user code: a checkpoint loaded into a fresh network, one image or a batch.</summary>
public sealed class PredictionTests
{
    private static readonly (Dsl.Data.Dataset Train, Dsl.Data.Dataset Validation, Dsl.Data.Dataset Test) Sets = SyntheticData.Sets();

    private static TinyImageNet.Cpu<float> Trained()
    {
        var network = new TinyImageNet.Cpu<float>(10, seed: 4);
        Trainer.Train(network, Sets.Train, Sets.Validation, Sets.Test, new TrainerOptions { Epochs = 3, BatchSize = 10, LearningRate = 0.05f, Seed = 1 });
        return network;
    }

    [Fact]
    public void A_loaded_checkpoint_classifies_like_the_trained_network()
    {
        using var folder = new TempFolder();
        using var trained = Trained();
        Checkpoint.Save(trained, folder.File("tiny.ckpt"));

        using INetwork network = TinyImageNet.Create(ComputeDevice.Cpu(), batchCapacity: 7); // another capacity: chunked
        Checkpoint.Load(folder.File("tiny.ckpt"), network);
        int count = Sets.Test.Count;

        int[] classes = network.Classify(Sets.Test.Images, count);
        Assert.Equal(trained.Classify(Sets.Test.Images, count), classes);
        Assert.True(classes.Zip(Sets.Test.Labels).Count(pair => pair.First == pair.Second) > count * 0.8);

        for (int i = 0; i < 5; i++)
        {
            ReadOnlySpan<float> image = Sets.Test.Images.AsSpan(i * 64, 64);
            Prediction prediction = network.Classify(image);
            Assert.Equal(classes[i], prediction.Class);
            Assert.Equal(4, prediction.Probabilities.Length);
            Assert.Equal(1f, prediction.Probabilities.Sum(), 1e-5f);
            Assert.Equal(prediction.Probabilities.Max(), prediction.Confidence);
        }
    }

    [Fact]
    public void The_span_overloads_allocate_nothing()
    {
        using var network = Trained();
        var probabilities = new float[4];
        var classes = new int[30];
        ReadOnlySpan<float> image = Sets.Test.Images.AsSpan(0, 64);
        network.Classify(image, probabilities); // warm up (JIT, pool)
        network.Classify(Sets.Test.Images, 30, classes);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int best = network.Classify(image, probabilities);
        network.Classify(Sets.Test.Images, 30, classes);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(classes[0], best);
    }

    [Fact]
    public void A_wrong_image_size_is_refused_with_both_sizes()
    {
        using var network = new TinyImageNet.Cpu<float>(2);
        var error = Assert.Throws<ArgumentException>(() => network.Classify(new float[784]));
        Assert.Contains("64 values (1×8×8)", error.Message);
        Assert.Contains("784", error.Message);
        Assert.Throws<ArgumentException>(() => network.Classify(new float[64 * 3], 4, new int[4]));
        Assert.Throws<ArgumentException>(() => network.Classify(new float[64 * 3], 3, new int[2]));
    }
}
