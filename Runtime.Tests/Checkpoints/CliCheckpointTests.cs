using System.Text.RegularExpressions;
using Dsl.Checkpoints;
using Dsl.Examples;
using Xunit;

namespace Dsl.Tests.Checkpoints;

/// <summary>The examples CLI's --save, --load and --resume, driven through its classes on a small 28×28 set.</summary>
public sealed partial class CliCheckpointTests : CliRunTests
{
    [GeneratedRegex(@"best validation error (\S+)% at epoch \d+, test error (\S+)%")]
    private static partial Regex Done();

    [GeneratedRegex(@"evaluation: validation error (\S+)%, test error (\S+)%")]
    private static partial Regex Evaluation();

    [Fact]
    public void Save_then_load_with_no_epochs_reports_the_best_models_errors()
    {
        string path = Path.Combine(Runs.Path, "lr.ckpt");
        Match trained = Done().Match(Run("--epochs", "3", "--lr", "0.5", "--save", path));
        Assert.True(trained.Success);

        string output = Run("--load", path, "--epochs", "0");
        Match evaluated = Evaluation().Match(output);

        Assert.True(evaluated.Success, output);
        Assert.Equal(trained.Groups[1].Value, evaluated.Groups[1].Value);
        Assert.Equal(trained.Groups[2].Value, evaluated.Groups[2].Value);
        Assert.Contains($"loaded {path}", output);
    }

    [Fact]
    public void Resume_continues_to_the_same_end_as_an_uninterrupted_run()
    {
        string full = Path.Combine(Runs.Path, "full.ckpt"), split = Path.Combine(Runs.Path, "split.ckpt");
        string uninterrupted = Run("--epochs", "4", "--momentum", "0.9", "--decay", "0.9", "--save", full);
        Run("--epochs", "2", "--momentum", "0.9", "--decay", "0.9", "--save", split);
        string resumed = Run("--resume", split, "--epochs", "4");

        Assert.Contains("resuming", resumed);
        Assert.Equal(Done().Match(uninterrupted).Value, Done().Match(resumed).Value);
        Assert.Equal(File.ReadAllBytes(full), File.ReadAllBytes(split));
    }

    [Fact]
    public void Resume_refuses_changed_hyper_parameters_and_load_together()
    {
        string path = Path.Combine(Runs.Path, "lr.ckpt");
        Run("--epochs", "1", "--save", path);
        var changed = Assert.Throws<CliException>(() => Cli.Run(["lr", "--data", Data.Path, "--resume", path, "--lr", "0.2"], TextWriter.Null));
        Assert.Contains("--lr cannot be changed with --resume", changed.Message);
        Assert.Contains("lr 0.13", changed.Message); // the stored value
        var both = Assert.Throws<CliException>(() => Cli.Run(["lr", "--data", Data.Path, "--resume", path, "--load", path], TextWriter.Null));
        Assert.Contains("exclude each other", both.Message);
    }

    [Fact]
    public void Loading_another_networks_checkpoint_is_refused()
    {
        string path = Path.Combine(Runs.Path, "lr.ckpt");
        Run("--epochs", "1", "--save", path);
        var error = Assert.Throws<CheckpointException>(() =>
            Cli.Run(["mlp", "--data", Data.Path, "--device", "cpu", "--batch", "20", "--load", path, "--epochs", "0"], TextWriter.Null));
        Assert.Equal(CheckpointProblem.ArchitectureMismatch, error.Problem);
    }
}
