using System.Globalization;
using Dsl.Training;

namespace Dsl.Examples;

/// <summary>
/// Writes a run's progress. Whole lines (a validation, an epoch of pre-training) are written as they come. On an
/// interactive terminal (<c>live</c>) the epoch under way is also shown as one line redrawn in place with a carriage
/// return — epoch, a bar, minibatches done, running mean loss, images/s and the epoch's remaining time — at most
/// once per <see cref="RedrawInterval"/>; a whole line first erases it. Otherwise (output redirected to a file or a
/// pipe) only the whole lines are written, as plain lines.
/// </summary>
/// <param name="output">Where to write.</param>
/// <param name="live">Draw the line in place (a terminal) or not.</param>
/// <param name="width">The terminal's width in characters: the live line is cut to one less, so it never wraps.</param>
/// <param name="time">The clock that throttles redraws (tests pass their own).</param>
internal sealed class ProgressDisplay(TextWriter output, bool live, int width = 100, TimeProvider? time = null)
{
    /// <summary>The least time between two redraws of the live line.</summary>
    public static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    private const int BarWidth = 24;
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly int _width = Math.Max(20, width);
    private long _lastDraw;
    private int _shownLength; // characters of the live line on screen; 0: none

    /// <summary>How often the live line has been drawn.</summary>
    public int Redraws { get; private set; }

    /// <summary>A training minibatch: redraws the live line if it is time to.</summary>
    public void Step(StepReport step)
    {
        if (!DueForRedraw()) return;
        Draw(string.Create(CultureInfo.InvariantCulture,
            $"epoch {step.Epoch,4} {Bar(step.Batch, step.Batches)} {Count(step.Batch, step.Batches)}  loss {step.MeanLoss:F4}" +
            $"  {step.ImagesPerSecond,9:N0} img/s  ETA {Eta(step.Batches - step.Batch, step.BatchSize, step.ImagesPerSecond)}"));
    }

    /// <summary>A pre-training minibatch: redraws the live line if it is time to.</summary>
    public void Step(PretrainStepReport step)
    {
        if (!DueForRedraw()) return;
        Draw(string.Create(CultureInfo.InvariantCulture,
            $"pre-train layer {step.Layer} epoch {step.Epoch,3}/{step.Epochs} {Bar(step.Batch, step.Batches)} {Count(step.Batch, step.Batches)}" +
            $"  {(step.CostName.StartsWith("pseudo", StringComparison.Ordinal) ? "PLL" : "cost")} {step.MeanCost:F4}" +
            $"  {step.ImagesPerSecond,9:N0} img/s  ETA {Eta(step.Batches - step.Batch, step.BatchSize, step.ImagesPerSecond)}"));
    }

    /// <summary>Writes a whole line, erasing the live line first.</summary>
    public void Line(string text)
    {
        Clear();
        output.WriteLine(text);
    }

    /// <summary>Erases the live line, if one is shown (before the run's last lines, or an error).</summary>
    public void Clear()
    {
        if (_shownLength == 0) return;
        output.Write('\r');
        output.Write(new string(' ', _shownLength));
        output.Write('\r');
        output.Flush();
        _shownLength = 0;
    }

    private bool DueForRedraw()
    {
        if (!live) return false;
        long now = _time.GetTimestamp();
        if (Redraws > 0 && _time.GetElapsedTime(_lastDraw, now) < RedrawInterval) return false;
        _lastDraw = now;
        return true;
    }

    private void Draw(string line)
    {
        if (line.Length >= _width) line = line[..(_width - 1)];
        output.Write('\r');
        output.Write(line);
        if (line.Length < _shownLength) output.Write(new string(' ', _shownLength - line.Length)); // the rest of a longer line
        output.Flush();
        _shownLength = Math.Max(line.Length, 1);
        Redraws++;
    }

    private static string Bar(int done, int total)
    {
        int filled = total > 0 ? (int)((long)done * BarWidth / total) : 0;
        Span<char> bar = stackalloc char[BarWidth + 2];
        bar[0] = '[';
        for (int i = 0; i < BarWidth; i++) bar[i + 1] = i < filled ? '=' : i == filled ? '>' : ' ';
        bar[^1] = ']';
        return new string(bar);
    }

    private static string Count(int done, int total)
    {
        string all = total.ToString(CultureInfo.InvariantCulture);
        return $"{done.ToString(CultureInfo.InvariantCulture).PadLeft(all.Length)}/{all}";
    }

    /// <summary>The time <paramref name="batches"/> more minibatches take at this rate, as m:ss or h:mm:ss.</summary>
    internal static string Eta(int batches, int batchSize, double imagesPerSecond)
    {
        if (imagesPerSecond <= 0 || !double.IsFinite(imagesPerSecond)) return "?";
        double seconds = Math.Min(batches * (double)batchSize / imagesPerSecond, 99 * 3600);
        var eta = TimeSpan.FromSeconds(Math.Ceiling(seconds));
        return eta.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)eta.TotalHours}:{eta.Minutes:D2}:{eta.Seconds:D2}")
            : string.Create(CultureInfo.InvariantCulture, $"{eta.Minutes}:{eta.Seconds:D2}");
    }
}
