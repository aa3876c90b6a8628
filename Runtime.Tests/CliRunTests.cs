using Dsl.Examples;
using Dsl.Tests.Checkpoints;
using Dsl.Tests.Data;
using Xunit;

namespace Dsl.Tests;

/// <summary>
/// Base of the tests that drive the examples CLI through its classes: a small synthetic 28×28 set under MNIST's file
/// names (<see cref="Data"/>), a folder for what the runs write (<see cref="Runs"/>), and <see cref="Run"/>, which
/// trains <c>lr</c> on the CPU at batch 20 with the given options and fails the test on a non-zero exit code.
/// </summary>
public abstract class CliRunTests : IDisposable
{
    protected CliRunTests() => SyntheticData.WriteMnistFolder(Data.Path);

    /// <summary>The synthetic data set.</summary>
    private protected TempFolder Data { get; } = new();

    /// <summary>Where the runs' checkpoints and models go.</summary>
    private protected TempFolder Runs { get; } = new();

    /// <summary>Runs <c>lr</c> with <paramref name="args"/> and returns what it printed.</summary>
    protected string Run(params string[] args)
    {
        var output = new StringWriter();
        int code = Cli.Run(["lr", "--data", Data.Path, "--device", "cpu", "--batch", "20", .. args], output);
        Assert.True(code == 0, output.ToString());
        return output.ToString();
    }

    public void Dispose()
    {
        Data.Dispose();
        Runs.Dispose();
        GC.SuppressFinalize(this);
    }
}
