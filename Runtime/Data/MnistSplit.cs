namespace Dsl.Data;

/// <summary>
/// Training, validation and test sets read from a folder that holds an IDX classification set under MNIST's file
/// names, split as in the Theano deep-learning tutorial: the training file's first examples train, its last
/// <c>validationCount</c> validate, and the t10k files test.
/// </summary>
/// <remarks>
/// Any IDX classification set with these names works, not only MNIST: images of any height × width (one channel,
/// bytes scaled to [0, 1]) and labels 0 to classes − 1. Each file may be raw or gzip-compressed (optionally named
/// <c>.gz</c>), the dotted spellings such as <c>train-images.idx3-ubyte</c> are accepted too, and so are
/// <c>test-images-idx3-ubyte</c> and <c>test-labels-idx1-ubyte</c> for the t10k files. All three sets share
/// <see cref="Classes"/>: the largest label in the training and test files + 1.
/// </remarks>
public sealed class MnistSplit
{
    /// <summary>The validation size for large training sets; MNIST's 60,000 split into 50,000 + 10,000.</summary>
    public const int StandardValidationCount = 10_000;

    /// <summary>The four files a data folder must hold: training images and labels, test images and labels.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    private MnistSplit(Dataset train, Dataset validation, Dataset test) =>
        (Train, Validation, Test) = (train, validation, test);

    /// <summary>The examples to train on: the training file less its last <see cref="Validation"/>.<see
    /// cref="Dataset.Count"/>.</summary>
    public Dataset Train { get; }

    /// <summary>The training file's last examples, held out for model selection.</summary>
    public Dataset Validation { get; }

    /// <summary>The t10k files' examples.</summary>
    public Dataset Test { get; }

    /// <summary>Number of classes, shared by all three sets.</summary>
    public int Classes => Train.Classes;

    /// <summary>
    /// How many training examples are held out for validation when no count is given:
    /// <see cref="StandardValidationCount"/> (10,000) when the training file has more than twice that, otherwise one
    /// sixth of it (rounded down), the same ratio as MNIST's 10,000 of 60,000.
    /// </summary>
    public static int DefaultValidationCount(int trainingCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trainingCount);
        return trainingCount > 2 * StandardValidationCount ? StandardValidationCount : trainingCount / 6;
    }

    /// <summary>Reads the four files in <paramref name="folder"/> and splits them.</summary>
    /// <param name="folder">The folder holding the files named in <see cref="FileNames"/>.</param>
    /// <param name="validationCount">Training examples to hold out for validation, from the end of the training file;
    /// when null, <see cref="DefaultValidationCount"/>. Must leave at least one example to train on.</param>
    /// <exception cref="FileNotFoundException">Any of the four files is missing; the message lists them.</exception>
    /// <exception cref="DataFormatException">A file is malformed, or the training and test images differ in
    /// size.</exception>
    public static MnistSplit Load(string folder, int? validationCount = null)
    {
        string[] paths = FindFiles(folder);
        Dataset training = Dataset.Load(paths[0], paths[1]);
        Dataset test = Dataset.Load(paths[2], paths[3]);
        if (test.Height != training.Height || test.Width != training.Width)
            throw new DataFormatException($"{paths[2]} has {test.Height}×{test.Width} images but {paths[0]} has " +
                                          $"{training.Height}×{training.Width}; both sets need the same size");

        int validation = validationCount ?? DefaultValidationCount(training.Count);
        if (validation < 0 || validation >= training.Count)
            throw new ArgumentOutOfRangeException(nameof(validationCount),
                $"cannot hold out {validation} of {training.Count} training examples for validation: at least one " +
                "must remain for training");

        int classes = Math.Max(training.Classes, test.Classes);
        training = training.WithClasses(classes);
        int trainCount = training.Count - validation;
        return new MnistSplit(training.Slice(0, trainCount), training.Slice(trainCount, validation),
            test.WithClasses(classes));
    }

    /// <summary>The full path of each of the four files in <paramref name="folder"/>, in <see cref="FileNames"/>
    /// order, or null for a file that is not there under any accepted name.</summary>
    internal static string?[] Locate(string folder) =>
        FileNames.Select(name => AcceptedNames(name).Select(candidate => Path.Combine(folder, candidate))
            .FirstOrDefault(File.Exists)).ToArray();

    /// <summary>The standard name (from <see cref="FileNames"/>) that <paramref name="fileName"/> is an accepted
    /// spelling of, or null.</summary>
    internal static string? StandardNameOf(string fileName) =>
        FileNames.FirstOrDefault(name => AcceptedNames(name).Contains(fileName));

    /// <summary>The names a file may have: as is, dotted before "idx" (as some mirrors spell them), each with or
    /// without ".gz"; the test files also with "test-" for MNIST's "t10k-" (another set need not have 10,000).</summary>
    private static string[] AcceptedNames(string name)
    {
        string[] prefixes = name.StartsWith("t10k-", StringComparison.Ordinal) ? [name, "test-" + name["t10k-".Length..]] : [name];
        return [.. prefixes.SelectMany(spelling =>
        {
            string dotted = spelling.Replace("-idx", ".idx", StringComparison.Ordinal);
            return (string[])[spelling, spelling + ".gz", dotted, dotted + ".gz"];
        })];
    }

    private static string[] FindFiles(string folder)
    {
        string?[] paths = Locate(folder);
        string[] missing = FileNames.Where((_, i) => paths[i] is null).ToArray();
        if (missing.Length > 0)
        {
            // A folder under a file's name (an archive unpacked into a folder of its name, say) is worth saying.
            string[] folders = missing.SelectMany(AcceptedNames).Select(name => Path.Combine(folder, name))
                .Where(Directory.Exists).ToArray();
            throw new FileNotFoundException(
                $"{folder}: missing {string.Join(", ", missing)}. The folder must hold all of " +
                $"{string.Join(", ", FileNames)} (each may end in .gz, train-images.idx3-ubyte style dotted names " +
                "work too, and test- may stand for t10k-)" + (Directory.Exists(folder) ? "" : "; the folder does not exist") +
                string.Concat(folders.Select(path => $"; {path} is a folder, not a file")),
                Path.Combine(folder, missing[0]));
        }
        return Array.ConvertAll(paths, path => path!);
    }
}
