using Dsl.Checkpoints;
using Dsl.Examples;
using Dsl.Onnx;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace Dsl.Tests.Onnx;

/// <summary>The examples CLI's --export-onnx, after training and after --load with --epochs 0, on a small 28×28 set.</summary>
public sealed class CliOnnxExportTests : CliRunTests
{
    [Fact]
    public void The_exported_model_is_the_best_model_with_or_without_a_checkpoint()
    {
        string checkpoint = Path.Combine(Runs.Path, "lr.ckpt");
        string withSave = Path.Combine(Runs.Path, "saved.onnx"), withoutSave = Path.Combine(Runs.Path, "unsaved.onnx");
        string loaded = Path.Combine(Runs.Path, "loaded.onnx");

        string output = Run("--epochs", "3", "--lr", "0.5", "--save", checkpoint, "--export-onnx", withSave);
        Assert.Contains($"ONNX model written to {withSave}", output);
        Run("--epochs", "3", "--lr", "0.5", "--export-onnx", withoutSave);
        Run("--load", checkpoint, "--epochs", "0", "--export-onnx", loaded);

        // The checkpoint's model (the best one) is what was exported, in all three ways.
        using var network = new LogisticRegression.Cpu<float>(8, seed: 0);
        Checkpoint.Load(checkpoint, network);
        byte[] expected = OnnxExporter.ToBytes(network);
        Assert.Equal(expected, File.ReadAllBytes(withSave));
        Assert.Equal(expected, File.ReadAllBytes(withoutSave));
        Assert.Equal(expected, File.ReadAllBytes(loaded));
        Assert.Empty(Directory.GetFiles(Path.GetTempPath(), $"dsl-export-{Environment.ProcessId}-*")); // the temporary checkpoint is gone

        // And ONNX Runtime classifies with it as the network does.
        var random = new Random(1);
        float[] images = [.. Enumerable.Range(0, 5 * 784).Select(_ => (float)random.NextDouble())];
        var probabilities = new float[5 * 10];
        network.Predict(images, 5, probabilities);
        using var session = new InferenceSession(withSave);
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(images, [5, 784]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [OnnxExporter.InputName], [input], [OnnxExporter.OutputName]);
        float[] actual = results[0].GetTensorDataAsSpan<float>().ToArray();
        for (int i = 0; i < probabilities.Length; i++) Assert.True(Math.Abs(probabilities[i] - actual[i]) <= 1e-5f, $"{probabilities[i]} vs {actual[i]}");
    }
}
