using Dsl.Checkpoints;
using Dsl.Data;
using Dsl.Tests.Data;
using Dsl.Tests.Networks;
using Dsl.Training;
using Xunit;

namespace Dsl.Tests.Checkpoints;

/// <summary>Training checkpoints: the best model kept, an interrupted run resumed to the very same weights, divergence
/// stopped without overwriting the last good checkpoint.</summary>
public sealed class ResumeTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly (Dataset Train, Dataset Validation, Dataset Test) _data = SyntheticData.Sets();

    public void Dispose() => _folder.Dispose();

    /// <summary>Momentum, a decaying rate, shuffling and validations in the middle of epochs (40 minibatches each, every 7th).</summary>
    private static readonly TrainerOptions Options = new()
    {
        Epochs = 5, BatchSize = 10, LearningRate = 0.05f, Momentum = 0.9f, L2 = 1e-3f, LearningRateDecay = 0.9f, Seed = 11,
        ValidationFrequency = 7, Patience = 100_000,
    };

    private sealed class Interrupted : Exception;

    private TrainingResult Train(TinyImageNet.Cpu<float> network, TrainerOptions options, string? checkpoint, Action<ProgressReport>? progress = null) =>
        Trainer.Train(network, _data.Train, _data.Validation, _data.Test, options, progress, checkpoint);

    private static void AssertSameParameters(TinyImageNet.Cpu<float> expected, TinyImageNet.Cpu<float> actual)
    {
        foreach (var (e, a) in expected.Parameters.Zip(actual.Parameters))
        {
            Assert.True(e.Values.AsSpan().SequenceEqual(a.Values), $"{e.Name} differs");
            Assert.True(e.Velocity.AsSpan().SequenceEqual(a.Velocity), $"momentum of {e.Name} differs");
        }
    }

    [Theory]
    [InlineData(3)]  // killed in epoch 1 (after minibatch 21 of 40)
    [InlineData(11)] // killed in epoch 2 (after minibatch 77 = epoch 2, batch 37)
    [InlineData(17)] // killed in epoch 3, right after its 39th minibatch's validation
    public void A_resumed_run_ends_with_the_same_weights_as_an_uninterrupted_one(int killAfterReport)
    {
        string full = _folder.File("full.ckpt"), partial = _folder.File("partial.ckpt");
        using var uninterrupted = new TinyImageNet.Cpu<float>(10, seed: 4);
        var fullReports = new List<ProgressReport>();
        TrainingResult expected = Train(uninterrupted, Options, full, fullReports.Add);

        using (var first = new TinyImageNet.Cpu<float>(10, seed: 4))
        {
            int reports = 0;
            Assert.Throws<Interrupted>(() => Train(first, Options, partial, _ => { if (++reports == killAfterReport) throw new Interrupted(); }));
        }
        TrainingState saved = Checkpoint.ReadInfo(partial).Training!;
        Assert.Equal(7L * killAfterReport, saved.Minibatch);

        using var resumed = new TinyImageNet.Cpu<float>(10, seed: 999); // other initial weights: all must come from the file
        var resumedReports = new List<ProgressReport>();
        TrainingResult actual = Trainer.Resume(resumed, _data.Train, _data.Validation, _data.Test, partial, resumedReports.Add);

        AssertSameParameters(uninterrupted, resumed);
        Assert.Equal(expected.Epochs, actual.Epochs);
        Assert.Equal(expected.BestValidationErrorPercent, actual.BestValidationErrorPercent);
        Assert.Equal(expected.BestEpoch, actual.BestEpoch);
        Assert.Equal(expected.TestErrorPercent, actual.TestErrorPercent);
        Assert.Equal(fullReports.Skip(killAfterReport).Select(r => (r.Epoch, r.Minibatch, r.MeanLoss, r.ValidationErrorPercent, r.TestErrorPercent)),
            resumedReports.Select(r => (r.Epoch, r.Minibatch, r.MeanLoss, r.ValidationErrorPercent, r.TestErrorPercent)));
        // Both checkpoints end holding the same best model, current weights, momentum and state.
        Assert.Equal(File.ReadAllBytes(full), File.ReadAllBytes(partial));
    }

    [Fact]
    public void A_finished_run_extended_by_resume_equals_a_longer_run()
    {
        string shortRun = _folder.File("short.ckpt");
        using var longer = new TinyImageNet.Cpu<float>(10, seed: 4);
        TrainingResult expected = Train(longer, Options with { Epochs = 4, ValidationFrequency = null }, null);

        using (var first = new TinyImageNet.Cpu<float>(10, seed: 4))
            Train(first, Options with { Epochs = 2, ValidationFrequency = null }, shortRun);
        using var resumed = new TinyImageNet.Cpu<float>(10);
        TrainingResult actual = Trainer.Resume(resumed, _data.Train, _data.Validation, _data.Test, shortRun, epochs: 4);

        AssertSameParameters(longer, resumed);
        Assert.Equal(4, actual.Epochs);
        Assert.Equal(expected.TestErrorPercent, actual.TestErrorPercent);
    }

    [Fact]
    public void A_resumed_run_can_write_to_another_file_and_leave_the_original()
    {
        string original = _folder.File("original.ckpt"), continued = _folder.File("continued.ckpt");
        using (var first = new TinyImageNet.Cpu<float>(10, seed: 4))
            Train(first, Options with { Epochs = 1 }, original);
        byte[] before = File.ReadAllBytes(original);

        using var resumed = new TinyImageNet.Cpu<float>(10);
        Trainer.Resume(resumed, _data.Train, _data.Validation, _data.Test, original, epochs: 2, savePath: continued);

        Assert.Equal(before, File.ReadAllBytes(original));
        Assert.Equal(2, Checkpoint.ReadInfo(continued).Training!.Epoch);
    }

    [Fact]
    public void The_checkpoint_holds_the_best_validation_model()
    {
        string path = _folder.File("run.ckpt");
        using var network = new TinyImageNet.Cpu<float>(10, seed: 4);
        TrainingResult result = Train(network, Options with { LearningRate = 0.3f }, path);

        using var loaded = new TinyImageNet.Cpu<float>(25);
        CheckpointInfo info = Checkpoint.Load(path, loaded);

        Assert.Equal(result.BestValidationErrorPercent, Trainer.ErrorPercent(loaded, _data.Validation));
        Assert.Equal(result.TestErrorPercent, Trainer.ErrorPercent(loaded, _data.Test));
        Assert.Equal(result.BestEpoch, info.Training!.BestEpoch);
        Assert.All(loaded.Parameters, p => Assert.DoesNotContain(p.Velocity, v => v != 0)); // momentum belongs to the current weights
    }

    [Fact]
    public void Resuming_on_other_data_is_refused()
    {
        string path = _folder.File("run.ckpt");
        using (var network = new TinyImageNet.Cpu<float>(10))
            Train(network, Options with { Epochs = 1 }, path);
        var other = SyntheticData.Sets(seed: 6);
        using var resumed = new TinyImageNet.Cpu<float>(10);
        var error = Assert.Throws<CheckpointException>(() => Trainer.Resume(resumed, other.Train, other.Validation, other.Test, path));
        Assert.Equal(CheckpointProblem.DataMismatch, error.Problem);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Resuming_a_plain_model_is_refused()
    {
        string path = _folder.File("model.ckpt");
        using var network = new TinyImageNet.Cpu<float>(10);
        Checkpoint.Save(network, path);
        var error = Assert.Throws<CheckpointException>(() => Trainer.Resume(network, _data.Train, _data.Validation, _data.Test, path));
        Assert.Equal(CheckpointProblem.NoTrainingState, error.Problem);
        Assert.Contains("--load", error.Message);
    }

    [Fact]
    public void A_diverging_run_stops_and_keeps_the_last_good_checkpoint()
    {
        string path = _folder.File("run.ckpt");
        using var network = new TinyImageNet.Cpu<float>(10, seed: 4);
        byte[]? lastWritten = null;
        // The rate grows 10,000-fold per epoch: fine in epoch 1, diverging soon after.
        var error = Assert.Throws<TrainingDivergedException>(() => Train(network,
            Options with { Epochs = 10, LearningRate = 0.05f, LearningRateDecay = 1e4f, Momentum = 0.9f, ValidationFrequency = 20 }, path,
            _ => lastWritten = File.ReadAllBytes(path)));

        Assert.True(error.Epoch >= 2, error.Message);
        Assert.Contains($"epoch {error.Epoch}", error.Message);
        Assert.Contains("smaller learning rate", error.Message);
        Assert.Contains("last good checkpoint", error.Message);
        Assert.Contains(path, error.Message);
        Assert.NotNull(lastWritten);
        Assert.Equal(lastWritten, File.ReadAllBytes(path));
        TrainingState kept = Checkpoint.ReadInfo(path).Training!;
        Assert.True(kept.Minibatch < error.Minibatch);
        Assert.Equal(new[] { "run.ckpt" }, Directory.GetFiles(_folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void An_infinite_parameter_hidden_by_a_saturated_unit_is_found_at_the_next_validation()
    {
        // Every pixel is positive, so an infinite first weight drives unit 0 to tanh(∞) = 1: the loss stays finite, and
        // without L2 (whose gradient 2·l2·∞ would turn the weight into NaN at once) so does the gradient (x · tanh'(∞) = 0).
        var data = SyntheticData.Sets();
        Dataset Positive(Dataset d) => new(Array.ConvertAll(d.Images, p => 0.1f + 0.9f * p), d.Labels, d.Height, d.Width, d.Classes);
        using var network = new TinyImageNet.Cpu<float>(10, seed: 4);
        network.Parameters[0].Values[0] = float.PositiveInfinity;
        string path = _folder.File("run.ckpt");

        var error = Assert.Throws<TrainingDivergedException>(() => Trainer.Train(network, Positive(data.Train), Positive(data.Validation),
            Positive(data.Test), Options with { ValidationFrequency = 5, L2 = 0 }, checkpointPath: path));

        Assert.Equal(1, error.Epoch);
        Assert.Equal(5, error.Minibatch); // the first validation
        Assert.Equal("W1", error.Parameter);
        Assert.Contains("training loss was still finite", error.Message);
        Assert.Contains("W1 (layer 1, Dense(16, Tanh)) holds Infinity at [0, 0]", error.Message);
        Assert.Contains("No checkpoint had been written", error.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_nan_loss_names_the_first_non_finite_parameter()
    {
        using var network = new TinyImageNet.Cpu<float>(10);
        var error = Assert.Throws<TrainingDivergedException>(() => Train(network, Options with { LearningRate = 1e30f, Momentum = 0 }, null));
        Assert.Contains("The training loss became", error.Message);
        Assert.Contains("epoch 1, minibatch", error.Message);
        Assert.NotNull(error.Parameter);
        Assert.Contains($"First non-finite parameter: {error.Parameter} (layer", error.Message);
    }
}
