using System.Diagnostics;
using Dsl.Data;

namespace Dsl.Training;

/// <summary>
/// How to train: minibatch SGD with the Theano tutorials' early stopping. Patience counts minibatches: training stops
/// once this many have passed without a significant validation improvement, and a significant one (error below
/// <see cref="ImprovementThreshold"/> × best) extends it to <see cref="PatienceIncrease"/> × the current minibatch.
/// </summary>
public sealed record TrainerOptions
{
    /// <summary>Upper bound on epochs; early stopping usually ends sooner.</summary>
    public int Epochs { get; init; } = 1000;
    /// <summary>Images per SGD step.</summary>
    public int BatchSize { get; init; } = 20;
    /// <summary>SGD step size.</summary>
    public float LearningRate { get; init; } = 0.01f;
    /// <summary>Classical momentum (0: plain SGD, as in the tutorials).</summary>
    public float Momentum { get; init; }
    /// <summary>Weight of Σ|W| in the cost.</summary>
    public float L1 { get; init; }
    /// <summary>Weight of ΣW² in the cost.</summary>
    public float L2 { get; init; }
    /// <summary>Learning rate multiplier applied after each epoch (1: constant).</summary>
    public float LearningRateDecay { get; init; } = 1f;
    /// <summary>Seeds the shuffling (the network's initial weights are seeded where it is created).</summary>
    public int Seed { get; init; }
    /// <summary>Visit the training set in a new seeded random order each epoch; false keeps the tutorials' fixed order.</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary>Minibatches to look at before stopping early, at least.</summary>
    public int Patience { get; init; } = 10_000;
    /// <summary>Patience grows to this multiple of the current minibatch index on a significant improvement.</summary>
    public int PatienceIncrease { get; init; } = 2;
    /// <summary>A validation error below this fraction of the best so far counts as significant.</summary>
    public double ImprovementThreshold { get; init; } = 0.995;
    /// <summary>Minibatches between validations; null: once per epoch, or every Patience/2 if that is sooner.</summary>
    public int? ValidationFrequency { get; init; }
}

/// <summary>One validation point, reported as training goes.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Minibatch">Minibatches trained so far, over all epochs.</param>
/// <param name="MeanLoss">Mean training NLL over the minibatches since the previous report.</param>
/// <param name="ValidationErrorPercent">Misclassified validation images, in percent.</param>
/// <param name="TestErrorPercent">Test error of this model if it is the best so far, else null.</param>
/// <param name="ImagesPerSecond">Training throughput since the previous report (training steps only).</param>
/// <param name="Elapsed">Wall time since training began, validation included.</param>
public sealed record ProgressReport(int Epoch, long Minibatch, double MeanLoss, double ValidationErrorPercent,
    double? TestErrorPercent, double ImagesPerSecond, TimeSpan Elapsed);

/// <summary>What a training run achieved.</summary>
/// <param name="Epochs">Epochs run (the last one possibly cut short by early stopping).</param>
/// <param name="TrainSeconds">Time spent in training steps only.</param>
/// <param name="WallSeconds">Total time, validation and testing included.</param>
/// <param name="TrainImagesPerSecond">Images through forward + backward + update per second of training steps.</param>
/// <param name="BestValidationErrorPercent">Lowest validation error seen.</param>
/// <param name="BestEpoch">Epoch at which it was seen.</param>
/// <param name="TestErrorPercent">Test error of the model with the best validation error, as the tutorials report.</param>
/// <param name="StoppedEarly">Whether patience ran out before <see cref="TrainerOptions.Epochs"/>.</param>
public sealed record TrainingResult(int Epochs, double TrainSeconds, double WallSeconds, double TrainImagesPerSecond,
    double BestValidationErrorPercent, int BestEpoch, double TestErrorPercent, bool StoppedEarly);

/// <summary>Thrown when the loss stops being a finite number; says where, so the run can be adjusted.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>Minibatch SGD with early stopping on a validation set, as in the Theano deep-learning tutorials.</summary>
public static class Trainer
{
    /// <summary>Trains <paramref name="network"/> on a split data set, reporting each validation through <paramref name="progress"/>.</summary>
    public static TrainingResult Train(INetwork network, MnistSplit data, TrainerOptions options, Action<ProgressReport>? progress = null) =>
        Train(network, data.Train, data.Validation, data.Test, options, progress);

    /// <summary>
    /// Trains on <paramref name="train"/>, validating on <paramref name="validation"/> for early stopping; each new best
    /// model is scored on <paramref name="test"/>.
    /// </summary>
    public static TrainingResult Train(INetwork network, Dataset train, Dataset validation, Dataset test, TrainerOptions options,
        Action<ProgressReport>? progress = null)
    {
        NetworkInfo info = network.Info;
        CheckFits(info, train, "training");
        int batch = options.BatchSize;
        if (batch < 1 || batch > network.BatchCapacity)
            throw new ArgumentOutOfRangeException(nameof(options), batch, $"Batch size must be in [1, {network.BatchCapacity}] (the network's capacity).");
        int batches = train.Count / batch; // as the tutorials: a last partial minibatch is dropped
        if (batches == 0) throw new ArgumentException($"The training set has {train.Count} images, fewer than one minibatch of {batch}.");

        int features = info.InputSize;
        int validationFrequency = options.ValidationFrequency ?? Math.Max(1, Math.Min(batches, options.Patience / 2));
        var order = Enumerable.Range(0, train.Count).ToArray();
        var random = new Random(options.Seed);
        var images = new float[batch * features];
        var labels = new int[batch];
        float learningRate = options.LearningRate;

        long patience = options.Patience, minibatch = 0;
        double best = double.PositiveInfinity, bestTest = double.NaN, lossSum = 0;
        int bestEpoch = 0, epoch = 0, lossCount = 0;
        long imagesSinceReport = 0;
        var wall = Stopwatch.StartNew();
        var steps = new Stopwatch();
        double stepSecondsAtReport = 0;
        bool stop = false;

        while (epoch < options.Epochs && !stop)
        {
            epoch++;
            if (options.Shuffle) random.Shuffle(order);
            for (int b = 0; b < batches && !stop; b++)
            {
                for (int i = 0; i < batch; i++)
                {
                    int source = order[b * batch + i];
                    Array.Copy(train.Images, (long)source * features, images, (long)i * features, features);
                    labels[i] = train.Labels[source];
                }
                steps.Start();
                float loss = network.TrainStep(images, labels, batch, new TrainingSettings(learningRate, options.Momentum, options.L1, options.L2));
                steps.Stop();
                if (!float.IsFinite(loss))
                    throw new TrainingDivergedException(
                        $"The training loss became {loss} at epoch {epoch}, minibatch {b + 1} of {batches} (learning rate {learningRate}). " +
                        "Try a smaller learning rate (--lr) or momentum.");
                lossSum += loss;
                lossCount++;
                imagesSinceReport += batch;
                minibatch++;

                if (minibatch % validationFrequency == 0)
                {
                    double validationError = ErrorPercent(network, validation);
                    double? newBestTest = null;
                    if (validationError < best)
                    {
                        if (validationError < best * options.ImprovementThreshold)
                            patience = Math.Max(patience, minibatch * options.PatienceIncrease);
                        best = validationError;
                        bestEpoch = epoch;
                        bestTest = ErrorPercent(network, test);
                        newBestTest = bestTest;
                    }
                    double seconds = steps.Elapsed.TotalSeconds - stepSecondsAtReport;
                    progress?.Invoke(new ProgressReport(epoch, minibatch, lossSum / lossCount, validationError, newBestTest,
                        seconds > 0 ? imagesSinceReport / seconds : 0, wall.Elapsed));
                    stepSecondsAtReport = steps.Elapsed.TotalSeconds;
                    lossSum = 0;
                    lossCount = 0;
                    imagesSinceReport = 0;
                }
                if (patience <= minibatch) stop = true;
            }
            learningRate *= options.LearningRateDecay;
        }

        double trainSeconds = steps.Elapsed.TotalSeconds;
        return new TrainingResult(epoch, trainSeconds, wall.Elapsed.TotalSeconds,
            trainSeconds > 0 ? minibatch * (double)batch / trainSeconds : 0, best, bestEpoch, bestTest, stop);
    }

    /// <summary>Percentage of <paramref name="data"/> that <paramref name="network"/> misclassifies.</summary>
    public static double ErrorPercent(INetwork network, Dataset data)
    {
        CheckFits(network.Info, data, "evaluation");
        int classes = network.Info.Classes, chunk = network.BatchCapacity;
        var probabilities = new float[chunk * classes];
        long wrong = 0;
        for (int start = 0; start < data.Count; start += chunk)
        {
            int n = Math.Min(chunk, data.Count - start);
            network.Predict(data.Images.AsSpan(start * network.Info.InputSize, n * network.Info.InputSize), n, probabilities);
            for (int i = 0; i < n; i++)
                if (ArgMax(probabilities.AsSpan(i * classes, classes)) != data.Labels[start + i]) wrong++;
        }
        return data.Count == 0 ? 0 : 100.0 * wrong / data.Count;
    }

    /// <summary>Index of the largest value (the first on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static void CheckFits(NetworkInfo info, Dataset data, string what)
    {
        if (data.Features != info.InputSize)
            throw new ArgumentException($"The {what} images have {data.Height}×{data.Width} = {data.Features} values, but {info.Name} takes {info.InputSize} ({info.Summary}).");
        if (data.Classes > info.Classes)
            throw new ArgumentException($"The {what} set has {data.Classes} classes, but {info.Name} scores {info.Classes}.");
    }
}
