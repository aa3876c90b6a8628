using Dsl.Data;
using Dsl.Tests.Checkpoints;
using Dsl.Tests.Data;
using Dsl.Tests.Networks;
using Dsl.Training;
using Xunit;

namespace Dsl.Tests;

/// <summary>The trainer's per-minibatch hook and the confusion matrix.</summary>
public sealed class TrainingHooksTests
{
    [Fact]
    public void The_step_hook_sees_every_minibatch_once_before_its_validation()
    {
        // 400 training images in minibatches of 10: 40 per epoch; validation every 15 minibatches.
        var (train, validation, test) = SyntheticData.Sets();
        using var network = new TinyImageNet.Cpu<float>(10, seed: 4);
        var steps = new List<StepReport>();
        var events = new List<string>();
        Trainer.Train(network, train, validation, test,
            new TrainerOptions { Epochs = 3, BatchSize = 10, LearningRate = 0.05f, Seed = 1, ValidationFrequency = 15 },
            progress: report => events.Add($"validation {report.Minibatch}"),
            step: report =>
            {
                steps.Add(report);
                events.Add($"step {report.Minibatch}");
            });

        Assert.Equal(120, steps.Count);
        for (int i = 0; i < steps.Count; i++)
        {
            StepReport s = steps[i];
            Assert.Equal((i / 40 + 1, 3, i % 40 + 1, 40, 10, i + 1L), (s.Epoch, s.Epochs, s.Batch, s.Batches, s.BatchSize, s.Minibatch));
            Assert.True(float.IsFinite(s.Loss) && s.Loss > 0);
            Assert.True(s.ImagesPerSecond > 0);
            // The running mean is the mean of the epoch's losses so far.
            double mean = steps.Skip(i / 40 * 40).Take(i % 40 + 1).Average(r => (double)r.Loss);
            Assert.Equal(mean, s.MeanLoss, 1e-9);
            if (i > 0) Assert.True(s.Elapsed >= steps[i - 1].Elapsed);
        }
        // Each validation comes right after the step it follows.
        for (int m = 15; m <= 120; m += 15)
            Assert.Equal($"validation {m}", events[events.IndexOf($"step {m}") + 1]);
        Assert.Equal(120 + 8, events.Count);
    }

    [Fact]
    public void Reporting_a_step_allocates_nothing()
    {
        var (train, validation, test) = SyntheticData.Sets();
        using var network = new TinyImageNet.Cpu<float>(10, seed: 4);
        var allocated = new long[80]; // bytes allocated by this thread so far, at each step
        Trainer.Train(network, train, validation, test,
            new TrainerOptions { Epochs = 2, BatchSize = 10, LearningRate = 0.05f, Seed = 1, ValidationFrequency = 40 },
            step: report => allocated[report.Minibatch - 1] = GC.GetAllocatedBytesForCurrentThread());
        // Between two steps of the second epoch (no validation between them), the training loop allocated nothing.
        for (int m = 41; m < 79; m++) Assert.Equal(allocated[m - 1], allocated[m]);
    }

    [Fact]
    public void A_resumed_run_reports_steps_from_where_it_resumed()
    {
        using var folder = new TempFolder();
        var (train, validation, test) = SyntheticData.Sets();
        var options = new TrainerOptions { Epochs = 1, BatchSize = 10, LearningRate = 0.05f, Seed = 1, ValidationFrequency = 25 };
        using (var network = new TinyImageNet.Cpu<float>(10, seed: 4))
            Trainer.Train(network, train, validation, test, options, checkpointPath: folder.File("run.ckpt"));
        // The checkpoint was written at minibatch 25 of epoch 1; resume to the end of epoch 2.
        using var resumed = new TinyImageNet.Cpu<float>(10, seed: 4);
        var steps = new List<StepReport>();
        Trainer.Resume(resumed, train, validation, test, folder.File("run.ckpt"), epochs: 2, step: steps.Add);

        Assert.Equal(15 + 40, steps.Count);
        Assert.Equal((1, 26, 26L), (steps[0].Epoch, steps[0].Batch, steps[0].Minibatch));
        Assert.Equal((2, 40, 80L), (steps[^1].Epoch, steps[^1].Batch, steps[^1].Minibatch));
    }

    /// <summary>A network that predicts class ⌊first pixel⌋ with certainty: its confusion matrix is known.</summary>
    private sealed class FirstPixelNetwork(int classes, int capacity) : INetwork
    {
        public NetworkInfo Info { get; } = new("FirstPixel", 1, 1, 2, classes, [new LayerInfo("FirstPixel", "2", $"{classes}", 0, 0)]);
        public int BatchCapacity => capacity;
        public string DeviceName => "test";
        public float TrainStep(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, int count, TrainingSettings settings) => 0;

        public void Predict(ReadOnlySpan<float> images, int count, Span<float> probabilities)
        {
            Assert.True(count <= capacity);
            probabilities[..(count * Info.Classes)].Clear();
            for (int i = 0; i < count; i++) probabilities[i * Info.Classes + (int)images[i * 2]] = 1;
        }

        public void Dispose() { }
    }

    [Fact]
    public void The_confusion_matrix_counts_true_against_predicted_classes()
    {
        // (true, predicted) pairs: 0→0 twice, 0→2, 1→1, 2→0, 2→2 three times; label 3 never occurs.
        (int Label, int Predicted)[] pairs = [(0, 0), (0, 2), (1, 1), (2, 0), (2, 2), (0, 0), (2, 2), (2, 2)];
        var images = new float[pairs.Length * 2];
        for (int i = 0; i < pairs.Length; i++) (images[2 * i], images[2 * i + 1]) = (pairs[i].Predicted, 0.5f);
        var data = new Dataset(images, [.. pairs.Select(p => p.Label)], 1, 2, 3);
        using var network = new FirstPixelNetwork(classes: 4, capacity: 3); // chunks of 3, and a class the data lacks

        int[,] counts = Trainer.ConfusionMatrix(network, data);

        Assert.Equal(new int[,] { { 2, 0, 1, 0 }, { 0, 1, 0, 0 }, { 1, 0, 3, 0 }, { 0, 0, 0, 0 } }, counts);
        double errorPercent = 100.0 * (pairs.Length - (2 + 1 + 3)) / pairs.Length;
        Assert.Equal(errorPercent, Trainer.ErrorPercent(network, data), 1e-12);
    }

    [Fact]
    public void The_confusion_matrix_of_a_trained_network_agrees_with_its_error()
    {
        var (train, validation, test) = SyntheticData.Sets();
        using var network = new TinyImageNet.Cpu<float>(10, seed: 4);
        Trainer.Train(network, train, validation, test, new TrainerOptions { Epochs = 2, BatchSize = 10, LearningRate = 0.05f, Seed = 1 });
        int[,] counts = Trainer.ConfusionMatrix(network, test);
        Assert.Equal((4, 4), (counts.GetLength(0), counts.GetLength(1)));
        for (int t = 0; t < 4; t++)
            Assert.Equal(test.Labels.Count(l => l == t), Enumerable.Range(0, 4).Sum(p => counts[t, p]));
        int correct = Enumerable.Range(0, 4).Sum(c => counts[c, c]);
        Assert.Equal(Trainer.ErrorPercent(network, test), 100.0 * (test.Count - correct) / test.Count, 1e-9);
    }
}
