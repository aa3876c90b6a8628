using System.Globalization;
using System.Text;
using Dsl.Training;
using ScottPlot;
using SkiaSharp;

namespace Dsl.Examples;

/// <summary>
/// Pictures of a training run, drawn with ScottPlot and written as PNG files: the loss and error curves, and a
/// confusion matrix as a heatmap with counts (also as a text table for the console). Lives with the CLI rather than in
/// the runtime, so that the runtime package carries no plotting library.
/// </summary>
internal static class TrainingCharts
{
    /// <summary>Size of <see cref="SaveCurves"/>'s picture: two panels, the loss above the errors.</summary>
    public const int CurvesWidth = 900, CurvesHeight = 720;

    /// <summary>Size of <see cref="SaveConfusion"/>'s picture.</summary>
    public const int ConfusionWidth = 680, ConfusionHeight = 620;

    /// <summary>
    /// Writes the curves of a run as a PNG, against the (fractional) epoch of each validation point: above, the mean
    /// training loss since the previous validation; below, the validation error, and the test error of each new best
    /// model. Written through a temporary file, so a reader never sees half of it.
    /// </summary>
    /// <param name="minibatchesPerEpoch">Turns each report's minibatch count into an epoch.</param>
    /// <param name="title">The picture's title (e.g. the network and its options).</param>
    public static void SaveCurves(string path, IReadOnlyList<ProgressReport> reports, int minibatchesPerEpoch, string title)
    {
        ArgumentNullException.ThrowIfNull(reports);
        if (reports.Count == 0) throw new ArgumentException("No validation point to draw.", nameof(reports));
        ArgumentOutOfRangeException.ThrowIfLessThan(minibatchesPerEpoch, 1);
        ChartFonts.Register();

        double[] epochs = [.. reports.Select(r => r.Minibatch / (double)minibatchesPerEpoch)];
        double[] losses = [.. reports.Select(r => r.MeanLoss)];
        double[] validation = [.. reports.Select(r => r.ValidationErrorPercent)];
        ProgressReport[] bests = [.. reports.Where(r => r.TestErrorPercent is not null)];
        double[] bestEpochs = [.. bests.Select(r => r.Minibatch / (double)minibatchesPerEpoch)];
        double[] tests = [.. bests.Select(r => r.TestErrorPercent!.Value)];
        // A little room beside the first and last points; the top quarter or so is left for the legend.
        double span = Math.Max(epochs[^1] - epochs[0], 1), left = Math.Max(0, epochs[0] - 0.04 * span), right = epochs[^1] + 0.04 * span;
        // The same margins in both panels, so their x axes line up.
        var padding = new PixelPadding(left: 80, right: 30, bottom: 55, top: 45);
        int panelHeight = CurvesHeight / 2;

        var loss = new Plot();
        loss.Layout.Fixed(padding);
        loss.Title(title, size: 15);
        loss.YLabel("training loss (NLL)");
        var lossLine = loss.Add.Scatter(epochs, losses);
        lossLine.LegendText = "mean training loss since the previous validation";
        lossLine.LineWidth = 2;
        lossLine.MarkerSize = reports.Count <= 60 ? 5 : 0;
        loss.ShowLegend(Alignment.UpperRight);
        loss.Axes.SetLimitsX(left, right);
        loss.Axes.SetLimitsY(0, Math.Max(1e-6, losses.Where(double.IsFinite).DefaultIfEmpty(1).Max() * 1.3));

        var errors = new Plot();
        errors.Layout.Fixed(padding);
        errors.XLabel("epoch");
        errors.YLabel("error (%)");
        var validationLine = errors.Add.Scatter(epochs, validation);
        validationLine.LegendText = "validation error";
        validationLine.LineWidth = 2;
        validationLine.MarkerSize = reports.Count <= 60 ? 5 : 0;
        if (bests.Length > 0)
        {
            var testLine = errors.Add.Scatter(bestEpochs, tests);
            testLine.LegendText = "test error of each new best model";
            testLine.LineWidth = 1.5f;
            testLine.LinePattern = LinePattern.Dashed;
            testLine.MarkerSize = 8;
            testLine.MarkerShape = MarkerShape.FilledDiamond;
            double bestTest = tests[^1];
            var note = errors.Add.Text(string.Create(CultureInfo.InvariantCulture, $"best: {bestTest:F2}% test"), bestEpochs[^1], bestTest);
            note.Alignment = Alignment.LowerRight;
            note.OffsetY = -8;
            note.LabelFontSize = 13;
            note.LabelFontColor = testLine.Color;
        }
        errors.ShowLegend(Alignment.UpperRight);
        errors.Axes.SetLimitsX(left, right);
        errors.Axes.SetLimitsY(0, Math.Max(1, validation.Concat(tests).Where(double.IsFinite).DefaultIfEmpty(1).Max() * 1.45));

        using var picture = new SKBitmap(CurvesWidth, CurvesHeight, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(picture))
        {
            canvas.Clear(SKColors.White);
            Draw(canvas, loss, 0, CurvesWidth, panelHeight);
            Draw(canvas, errors, panelHeight, CurvesWidth, CurvesHeight - panelHeight);
        }
        using SKData png = picture.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("SkiaSharp could not encode the curves as PNG.");
        AtomicFile.Write(path, png.AsSpan());
    }

    private static void Draw(SKCanvas canvas, Plot plot, int top, int width, int height)
    {
        using var panel = SKImage.FromEncodedData(plot.GetImageBytes(width, height, ImageFormat.Png))
            ?? throw new InvalidOperationException("ScottPlot's panel could not be decoded.");
        canvas.DrawImage(panel, 0, top, SKSamplingOptions.Default, paint: null);
    }

    /// <summary>
    /// Writes a confusion matrix (rows: true class, columns: predicted class, as <see cref="Trainer.ConfusionMatrix"/>
    /// counts) as a PNG heatmap with each cell's count. Colours follow log(1 + count) so the few errors show beside the
    /// large diagonal. Written through a temporary file.
    /// </summary>
    public static void SaveConfusion(string path, int[,] counts, string title)
    {
        ArgumentNullException.ThrowIfNull(counts);
        int classes = counts.GetLength(0);
        if (classes == 0 || counts.GetLength(1) != classes) throw new ArgumentException("A confusion matrix is square and not empty.", nameof(counts));
        ChartFonts.Register();

        // ScottPlot draws row 0 of the heatmap's array at the top: the array is the matrix as it is read. Its Blues
        // colormap runs from dark (0) to white (1): it is given 1 − intensity, so that more is darker.
        var intensity = new double[classes, classes];
        var shade = new double[classes, classes];
        double max = 0;
        foreach (int count in counts) max = Math.Max(max, Math.Log(1 + count));
        for (int t = 0; t < classes; t++)
            for (int p = 0; p < classes; p++)
            {
                intensity[t, p] = max > 0 ? Math.Log(1 + counts[t, p]) / max : 0;
                shade[t, p] = 1 - intensity[t, p];
            }

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(shade);
        heatmap.Colormap = new ScottPlot.Colormaps.Blues();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        // Cell (t, p) is centred at x = p, y = classes − 1 − t.
        float fontSize = classes <= 10 ? 13 : classes <= 20 ? 9 : 6;
        for (int t = 0; t < classes; t++)
            for (int p = 0; p < classes; p++)
            {
                var text = plot.Add.Text(counts[t, p].ToString(CultureInfo.InvariantCulture), p, classes - 1 - t);
                text.Alignment = Alignment.MiddleCenter;
                text.LabelFontSize = fontSize;
                text.LabelBold = t == p;
                text.LabelFontColor = intensity[t, p] > 0.55 ? Colors.White : Colors.Black;
            }
        var columns = new ScottPlot.TickGenerators.NumericManual();
        var rows = new ScottPlot.TickGenerators.NumericManual();
        for (int c = 0; c < classes; c++)
        {
            columns.AddMajor(c, c.ToString(CultureInfo.InvariantCulture));
            rows.AddMajor(classes - 1 - c, c.ToString(CultureInfo.InvariantCulture));
        }
        plot.Axes.Bottom.TickGenerator = columns;
        plot.Axes.Left.TickGenerator = rows;
        plot.Axes.SetLimits(-0.5, classes - 0.5, -0.5, classes - 0.5);
        plot.HideGrid();
        plot.Title(title, size: 15);
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        plot.Layout.Fixed(new PixelPadding(left: 70, right: 30, bottom: 60, top: 50));
        AtomicFile.Write(path, plot.GetImageBytes(ConfusionWidth, ConfusionHeight, ImageFormat.Png));
    }

    /// <summary>The confusion matrix as a text table: a row per true class, a column per predicted class, then the
    /// class's error (the share of its images predicted as another class).</summary>
    public static string FormatConfusion(int[,] counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        int classes = counts.GetLength(0);
        int width = Math.Max(4, counts.Cast<int>().DefaultIfEmpty().Max().ToString(CultureInfo.InvariantCulture).Length + 1);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{"true\\pred",-10}");
        for (int p = 0; p < classes; p++) text.Append(CultureInfo.InvariantCulture, $"{p.ToString(CultureInfo.InvariantCulture).PadLeft(width)}");
        text.Append("   error").AppendLine();
        for (int t = 0; t < classes; t++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{t,-10}");
            long total = 0;
            for (int p = 0; p < classes; p++)
            {
                text.Append(counts[t, p].ToString(CultureInfo.InvariantCulture).PadLeft(width));
                total += counts[t, p];
            }
            text.Append(total == 0 ? "       —" : string.Create(CultureInfo.InvariantCulture, $"{100.0 * (total - counts[t, t]) / total,7:F2}%"));
            text.AppendLine();
        }
        return text.ToString();
    }
}

/// <summary>
/// Text in the charts needs a font. SkiaSharp's native library without dependencies (the one this project uses on
/// Linux) has no font manager and so no font at all: this finds a sans-serif TrueType file — $DSL_FONT, else one of
/// the usual ones in the usual folders — and gives it to ScottPlot. Where the platform has fonts (Windows, macOS),
/// nothing is changed.
/// </summary>
internal static class ChartFonts
{
    private const string Family = "Dsl Charts Sans";
    private static readonly Lazy<string?> Registered = new(RegisterOnce);

    /// <summary>Registers a font once; returns a note when none could be found (the charts then have no text).</summary>
    public static string? Register() => Registered.Value;

    private static string? RegisterOnce()
    {
        string? chosen = Environment.GetEnvironmentVariable("DSL_FONT");
        if (!string.IsNullOrEmpty(chosen) && !File.Exists(chosen))
            return $"DSL_FONT names {chosen}, which does not exist; the charts have no text.";
        string? bold = null;
        if (string.IsNullOrEmpty(chosen))
        {
            if (SKTypeface.Default.GlyphCount > 0) return null; // the platform's fonts work
            (chosen, bold) = FindSystemFont();
            if (chosen is null)
                return "no font was found (set DSL_FONT to a .ttf file, or install e.g. fonts-dejavu-core): the charts have no text.";
        }
        Fonts.AddFontFile(Family, chosen, bold: false, italic: false);
        Fonts.AddFontFile(Family, bold ?? chosen, bold: true, italic: false); // titles are bold: without a bold face they would vanish
        Fonts.Default = Family;
        return null;
    }

    /// <summary>Regular and bold faces of the first of some common sans-serif fonts found in the usual folders.</summary>
    private static (string? Regular, string? Bold) FindSystemFont()
    {
        (string Regular, string Bold)[] wanted =
        [
            ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"), ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
            ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"), ("FreeSans.ttf", "FreeSansBold.ttf"), ("Arial.ttf", "Arial Bold.ttf"),
        ];
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string[] folders = ["/usr/share/fonts", "/usr/local/share/fonts", Path.Combine(home, ".local/share/fonts"), Path.Combine(home, ".fonts")];
        var files = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, MaxRecursionDepth = 6 };
        foreach (string folder in folders.Where(Directory.Exists))
            foreach (string file in Directory.EnumerateFiles(folder, "*.ttf", options))
                files.TryAdd(Path.GetFileName(file), file);
        foreach (var (regular, bold) in wanted)
            if (files.TryGetValue(regular, out string? found))
                return (found, files.GetValueOrDefault(bold));
        return (null, null);
    }
}

/// <summary>Writes a file through a temporary one in the same folder and a rename, so a reader never sees half of it.</summary>
internal static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"{path} names no file.", nameof(path));
        Directory.CreateDirectory(folder);
        string temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
                stream.Write(bytes);
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // the first failure is the one to report
            throw;
        }
    }
}
