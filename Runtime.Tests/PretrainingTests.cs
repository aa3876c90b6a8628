using Dsl.Data;
using Dsl.Tests.Networks;
using Dsl.Training;
using Xunit;

namespace Dsl.Tests;

/// <summary>
/// The generated pre-training of a declared DBN (<see cref="TinyDbn"/>: a CD-1 RBM, then a PCD-2 RBM): it learns
/// (each RBM's monitoring cost improves), it is reproducible for a seed, the declared settings reach the steps, and a
/// pre-trained network fine-tunes.
/// </summary>
public sealed class PretrainingTests
{
    /// <summary>Four classes of 8×8 binary-looking images: a prototype per class with 10% of its pixels flipped.</summary>
    private static Dataset Patterns(int count, int seed)
    {
        var random = new Random(1);
        bool[][] prototypes = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 64).Select(_ => random.Next(2) == 1).ToArray()).ToArray();
        random = new Random(seed);
        var images = new float[count * 64];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = random.Next(4);
            for (int p = 0; p < 64; p++)
                images[i * 64 + p] = prototypes[labels[i]][p] ^ (random.NextDouble() < 0.1) ? 0.95f : 0.05f;
        }
        return new Dataset(images, labels, 8, 8, 4);
    }

    [Fact]
    public void The_declared_settings_are_the_attributes()
    {
        using var network = new TinyDbn.Cpu<float>(10);
        Assert.Equal(
            [new RbmLayerInfo(1, "Rbm(12, LearningRate = 0.05, Epochs = 5)", 64, 12, new RbmSettings(0.05f, 1, false, 5)),
             new RbmLayerInfo(2, "Rbm(8, GibbsSteps = 2, Persistent = true, LearningRate = 0.05, Epochs = 5)", 12, 8, new RbmSettings(0.05f, 2, true, 5))],
            network.RbmLayers);
    }

    [Fact]
    public void Each_rbm_improves_its_monitoring_cost()
    {
        using var network = new TinyDbn.Cpu<float>(10, seed: 2);
        var reports = new List<PretrainReport>();
        Pretrainer.Pretrain(network, Patterns(500, 3), new PretrainOptions { Settings = rbm => rbm.Settings with { Epochs = 8 } }, reports.Add);

        Assert.Equal(16, reports.Count);
        var first = reports.Where(r => r.Rbm == 0).ToList();
        var second = reports.Where(r => r.Rbm == 1).ToList();
        Assert.All(first, r => Assert.Equal("reconstruction cross-entropy", r.CostName));
        Assert.All(second, r => Assert.Equal("pseudo-log-likelihood", r.CostName));
        Assert.True(first[^1].Cost < 0.8 * first[0].Cost, $"CD cross-entropy {first[0].Cost} → {first[^1].Cost}");
        Assert.True(second[^1].Cost > second[0].Cost, $"PCD pseudo-likelihood {second[0].Cost} → {second[^1].Cost}");
    }

    [Fact]
    public void The_step_hook_sees_every_pretraining_minibatch_once()
    {
        using var network = new TinyDbn.Cpu<float>(10, seed: 2);
        var steps = new List<PretrainStepReport>();
        var epochs = new List<PretrainReport>();
        // 95 images in minibatches of 10: 9 per epoch (the partial one is dropped); 2 RBMs × 3 epochs.
        Pretrainer.Pretrain(network, Patterns(95, 3), new PretrainOptions { Settings = rbm => rbm.Settings with { Epochs = 3 } },
            epochs.Add, steps.Add);

        Assert.Equal(2 * 3 * 9, steps.Count);
        for (int i = 0; i < steps.Count; i++)
        {
            PretrainStepReport s = steps[i];
            Assert.Equal((i / 27, i / 27 + 1, i / 9 % 3 + 1, 3, i % 9 + 1, 9, 10), (s.Rbm, s.Layer, s.Epoch, s.Epochs, s.Batch, s.Batches, s.BatchSize));
            Assert.True(double.IsFinite(s.MeanCost) && s.ImagesPerSecond > 0);
            if (s.Batch == 9) // the epoch's last step has the epoch's mean cost
                Assert.Equal(epochs[i / 9].Cost, s.MeanCost, 1e-9);
        }
    }

    [Fact]
    public void Pretraining_is_reproducible_for_a_seed_and_changes_with_it()
    {
        float[] Weights(int seed)
        {
            using var network = new TinyDbn.Cpu<float>(10, seed);
            Pretrainer.Pretrain(network, Patterns(200, 3), new PretrainOptions { Settings = rbm => rbm.Settings with { Epochs = 2 } });
            return network.Parameters.SelectMany(p => p.Values).ToArray();
        }
        Assert.Equal(Weights(4), Weights(4));
        Assert.NotEqual(Weights(4), Weights(5));
    }

    [Fact]
    public void Pretraining_leaves_the_fine_tuning_state_alone_and_fine_tunes()
    {
        using var network = new TinyDbn.Cpu<float>(20, seed: 6);
        Dataset train = Patterns(600, 7), validation = Patterns(200, 8), test = Patterns(200, 9);
        Pretrainer.Pretrain(network, train, new PretrainOptions());
        Assert.All(network.Parameters, p => Assert.All(p.Velocity, v => Assert.Equal(0f, v))); // plain SGD: no momentum
        float[] visibleBiases = network.Parameters.Single(p => p.Name == "VB1").Values.ToArray();

        TrainingResult result = Trainer.Train(network, train, validation, test,
            new TrainerOptions { BatchSize = 20, LearningRate = 0.1f, Epochs = 10, Seed = 1 });

        Assert.True(result.TestErrorPercent < 5, $"test error {result.TestErrorPercent}%");
        Assert.Equal(visibleBiases, network.Parameters.Single(p => p.Name == "VB1").Values); // pre-training only
    }

    [Fact]
    public void The_visible_data_of_an_rbm_is_the_images_or_the_hidden_means_below_it()
    {
        using var network = new TinyDbn.Cpu<double>(10, seed: 3);
        Dataset data = Patterns(7, 4); // fewer than the capacity
        var first = new float[7 * 64];
        network.RbmVisible(0, data.Images, 7, first);
        Assert.Equal(data.Images, first);

        var second = new float[7 * 12];
        network.RbmVisible(1, data.Images, 7, second);
        double[] w = network.Parameters.Single(p => p.Name == "W1").Values, b = network.Parameters.Single(p => p.Name == "B1").Values;
        for (int row = 0; row < 7; row++)
            for (int j = 0; j < 12; j++)
            {
                double z = b[j];
                for (int i = 0; i < 64; i++) z += data.Images[row * 64 + i] * w[i * 12 + j];
                Assert.Equal(1 / (1 + Math.Exp(-z)), second[row * 12 + j], 1e-6);
            }

        Assert.Throws<ArgumentOutOfRangeException>(() => network.RbmVisible(2, data.Images, 7, second));
        Assert.Throws<ArgumentException>(() => network.RbmVisible(1, data.Images, 7, new float[7 * 12 - 1]));
        Assert.Throws<ArgumentException>(() => network.PretrainStep(1, second.AsSpan(0, 6 * 12), 7, network.RbmLayers[1].Settings));
    }

    [Fact]
    public void A_network_without_rbm_layers_cannot_be_pretrained()
    {
        using var network = new TinyImageNet.Cpu<float>(10);
        var error = Assert.Throws<ArgumentException>(() => Pretrainer.Pretrain(network, Patterns(50, 1), new PretrainOptions()));
        Assert.Contains("cannot be pre-trained", error.Message);
    }
}
