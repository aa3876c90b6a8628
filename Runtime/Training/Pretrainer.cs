using System.Diagnostics;
using Dsl.Data;

namespace Dsl.Training;

/// <summary>How to pre-train the [Rbm] layers of a network.</summary>
public sealed record PretrainOptions
{
    /// <summary>Images per contrastive-divergence update (the tutorials: 10 for the DBN, 20 for rbm.py).</summary>
    public int BatchSize { get; init; } = 10;

    /// <summary>The settings each RBM is pre-trained with: by default, those its attribute declares. The CLI's flags
    /// override them here.</summary>
    public Func<RbmLayerInfo, RbmSettings> Settings { get; init; } = rbm => rbm.Settings;
}

/// <summary>One epoch of one RBM's pre-training.</summary>
/// <param name="Rbm">The RBM's index among the network's RBMs (0: the lowest).</param>
/// <param name="Layer">Its layer number in the network.</param>
/// <param name="Epoch">1-based epoch of this RBM.</param>
/// <param name="Epochs">Epochs this RBM trains for.</param>
/// <param name="Cost">The epoch's mean monitoring cost.</param>
/// <param name="CostName">"reconstruction cross-entropy" (CD) or "pseudo-log-likelihood" (PCD).</param>
/// <param name="ImagesPerSecond">Images through the update per second of this epoch.</param>
/// <param name="Elapsed">Wall time since pre-training began.</param>
public sealed record PretrainReport(int Rbm, int Layer, int Epoch, int Epochs, double Cost, string CostName,
    double ImagesPerSecond, TimeSpan Elapsed);

/// <summary>One pre-training minibatch, reported to the optional per-step hook of
/// <see cref="Pretrainer.Pretrain(INetwork, Dataset, PretrainOptions, Action{PretrainReport}?, Action{PretrainStepReport}?)"/>
/// (e.g. to draw a progress bar). A value type: reporting allocates nothing.</summary>
/// <param name="Rbm">The RBM's index among the network's RBMs (0: the lowest).</param>
/// <param name="Layer">Its layer number in the network.</param>
/// <param name="Epoch">1-based epoch of this RBM.</param>
/// <param name="Epochs">Epochs this RBM trains for.</param>
/// <param name="Batch">Minibatches done in this epoch, this one included (1 … <paramref name="Batches"/>).</param>
/// <param name="Batches">Minibatches per epoch.</param>
/// <param name="BatchSize">Images per minibatch.</param>
/// <param name="MeanCost">Mean monitoring cost of this epoch's minibatches so far.</param>
/// <param name="CostName">"reconstruction cross-entropy" (CD) or "pseudo-log-likelihood" (PCD).</param>
/// <param name="ImagesPerSecond">Images through the update per second of this epoch so far.</param>
/// <param name="Elapsed">Wall time since pre-training began.</param>
public readonly record struct PretrainStepReport(int Rbm, int Layer, int Epoch, int Epochs, int Batch, int Batches, int BatchSize,
    double MeanCost, string CostName, double ImagesPerSecond, TimeSpan Elapsed);

/// <summary>
/// Greedy layer-wise pre-training, as in the Theano tutorials' DBN: each RBM in turn, bottom up, for its epochs over
/// the training set in order, on the mean activations of the (already pre-trained) layers below it.
/// </summary>
public static class Pretrainer
{
    /// <summary>Pre-trains every RBM of <paramref name="network"/> on <paramref name="train"/>, reporting each epoch
    /// through <paramref name="progress"/> and, if given, each minibatch through <paramref name="step"/>; returns the
    /// seconds spent.</summary>
    /// <exception cref="ArgumentException">The network has no [Rbm] layers, the data does not fit it, or the batch size
    /// is not in [1, capacity].</exception>
    /// <exception cref="TrainingDivergedException">A monitoring cost became NaN or infinite.</exception>
    public static double Pretrain(INetwork network, Dataset train, PretrainOptions options, Action<PretrainReport>? progress = null,
        Action<PretrainStepReport>? step = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        IPretrainable pretrainable = network as IPretrainable ?? throw new ArgumentException(
            $"{network.Info.Name} cannot be pre-trained: it has no [Rbm] layers ({network.Info.Summary}).",
            nameof(network));
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        int features = network.Info.InputSize, batch = options.BatchSize;
        if (train.Features != features)
            throw new ArgumentException($"The training images have {train.Height}×{train.Width} = {train.Features} values, but {network.Info.Name} takes {features} ({network.Info.Summary}).", nameof(train));
        if (batch < 1 || batch > network.BatchCapacity)
            throw new ArgumentOutOfRangeException(nameof(options), batch, $"Batch size must be in [1, {network.BatchCapacity}] (the network's capacity).");
        int batches = train.Count / batch; // as the tutorials: a last partial minibatch is dropped
        if (batches == 0) throw new ArgumentException($"The training set has {train.Count} images, fewer than one minibatch of {batch}.", nameof(train));

        var wall = Stopwatch.StartNew();
        for (int rbm = 0; rbm < pretrainable.RbmLayers.Count; rbm++)
        {
            RbmLayerInfo layer = pretrainable.RbmLayers[rbm];
            RbmSettings settings = options.Settings(layer);
            float[] data = VisibleData(pretrainable, rbm, train, network.BatchCapacity);
            string costName = settings.Persistent ? "pseudo-log-likelihood" : "reconstruction cross-entropy";
            for (int epoch = 1; epoch <= settings.Epochs; epoch++)
            {
                var epochClock = Stopwatch.StartNew();
                double sum = 0;
                for (int b = 0; b < batches; b++)
                {
                    float cost = pretrainable.PretrainStep(rbm, data.AsSpan(b * batch * layer.Visible, batch * layer.Visible), batch, settings);
                    if (!float.IsFinite(cost))
                        throw new TrainingDivergedException(
                            $"Pre-training layer {layer.Layer} ({layer.Declaration}) diverged: its {costName} became {cost} at epoch {epoch}, " +
                            $"minibatch {b + 1} of {batches} (learning rate {settings.LearningRate}). Try a smaller pre-training learning rate.");
                    sum += cost;
                    if (step is not null)
                    {
                        double elapsed = epochClock.Elapsed.TotalSeconds;
                        step(new PretrainStepReport(rbm, layer.Layer, epoch, settings.Epochs, b + 1, batches, batch, sum / (b + 1), costName,
                            elapsed > 0 ? (b + 1) * (double)batch / elapsed : 0, wall.Elapsed));
                    }
                }
                double seconds = epochClock.Elapsed.TotalSeconds;
                progress?.Invoke(new PretrainReport(rbm, layer.Layer, epoch, settings.Epochs, sum / batches, costName,
                    seconds > 0 ? batches * (double)batch / seconds : 0, wall.Elapsed));
            }
        }
        return wall.Elapsed.TotalSeconds;
    }

    /// <summary>RBM <paramref name="rbm"/>'s visible data for the whole training set, (images, visible units): the
    /// images for the lowest RBM, else computed once through the (fixed) layers below, in batches of the capacity.</summary>
    private static float[] VisibleData(IPretrainable network, int rbm, Dataset train, int capacity)
    {
        if (rbm == 0) return train.Images;
        int features = train.Features, visible = network.RbmLayers[rbm].Visible;
        var data = new float[(long)train.Count * visible];
        for (int start = 0; start < train.Count; start += capacity)
        {
            int count = Math.Min(capacity, train.Count - start);
            network.RbmVisible(rbm, train.Images.AsSpan(start * features, count * features), count,
                data.AsSpan(start * visible, count * visible));
        }
        return data;
    }
}
