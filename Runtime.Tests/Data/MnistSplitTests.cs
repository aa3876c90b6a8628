using Dsl.Data;
using Xunit;
using static Dsl.Tests.Data.IdxTestData;

namespace Dsl.Tests.Data;

public sealed class MnistSplitTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    // Twelve training examples (so the default holds out 12 / 6 = 2) and three test examples; the largest label, 7,
    // is only in the test set.
    private static readonly byte[] TrainLabels = [5, 0, 4, 1, 6, 2, 1, 3, 1, 4, 3, 5];
    private static readonly byte[] TestLabels = [7, 2, 1];

    [Theory]
    [InlineData(60_000, 10_000)]
    [InlineData(20_001, 10_000)]
    [InlineData(20_000, 3_333)]
    [InlineData(12, 2)]
    [InlineData(5, 0)]
    public void DefaultValidationCountFollowsTheDocumentedRule(int training, int validation) =>
        Assert.Equal(validation, MnistSplit.DefaultValidationCount(training));

    [Fact]
    public void SplitsTrainingIntoTrainAndValidationAndSharesClasses()
    {
        WriteAll(temp.Path, FolderFiles(TrainLabels, TestLabels));

        MnistSplit split = MnistSplit.Load(temp.Path);

        Assert.Equal([5, 0, 4, 1, 6, 2, 1, 3, 1, 4], split.Train.Labels);
        Assert.Equal([3, 5], split.Validation.Labels);
        Assert.Equal([7, 2, 1], split.Test.Labels);
        Assert.Equal(10f / 255f, split.Validation.Images[0]); // the 11th training image's first pixel is 10
        Assert.Equal(8, split.Classes);
        Assert.All([split.Train, split.Validation, split.Test], set => Assert.Equal(8, set.Classes));
        Assert.All([split.Train, split.Validation, split.Test], set => Assert.Equal((2, 3), (set.Height, set.Width)));
    }

    [Fact]
    public void ValidationCountCanBeGiven()
    {
        WriteAll(temp.Path, FolderFiles(TrainLabels, TestLabels));

        MnistSplit split = MnistSplit.Load(temp.Path, validationCount: 5);

        Assert.Equal((7, 5), (split.Train.Count, split.Validation.Count));
        Assert.Throws<ArgumentOutOfRangeException>(() => MnistSplit.Load(temp.Path, validationCount: 12));
        Assert.Throws<ArgumentOutOfRangeException>(() => MnistSplit.Load(temp.Path, validationCount: -1));
    }

    [Fact]
    public void AcceptsGzipAndDottedNames()
    {
        var files = FolderFiles(TrainLabels, TestLabels);
        File.WriteAllBytes(temp.File("train-images.idx3-ubyte"), files["train-images-idx3-ubyte"]);
        File.WriteAllBytes(temp.File("train-labels-idx1-ubyte.gz"), Gzip(files["train-labels-idx1-ubyte"]));
        File.WriteAllBytes(temp.File("t10k-images.idx3-ubyte.gz"), Gzip(files["t10k-images-idx3-ubyte"]));
        File.WriteAllBytes(temp.File("t10k-labels-idx1-ubyte"), files["t10k-labels-idx1-ubyte"]);

        MnistSplit split = MnistSplit.Load(temp.Path);

        Assert.Equal((10, 2, 3), (split.Train.Count, split.Validation.Count, split.Test.Count));
    }

    [Fact]
    public void MissingFilesAreListed()
    {
        var files = FolderFiles(TrainLabels, TestLabels);
        files.Remove("t10k-images-idx3-ubyte");
        files.Remove("train-labels-idx1-ubyte");
        WriteAll(temp.Path, files);

        var error = Assert.Throws<FileNotFoundException>(() => MnistSplit.Load(temp.Path));

        Assert.Contains($"{temp.Path}: missing train-labels-idx1-ubyte, t10k-images-idx3-ubyte.", error.Message);
        Assert.Contains("must hold all of train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, " +
                        "t10k-labels-idx1-ubyte", error.Message);
    }

    [Fact]
    public void MissingFolderIsSaid()
    {
        string folder = temp.File("nowhere");
        var error = Assert.Throws<FileNotFoundException>(() => MnistSplit.Load(folder));
        Assert.Contains("the folder does not exist", error.Message);
    }

    [Fact]
    public void RejectsTestImagesOfAnotherSize()
    {
        var files = FolderFiles(TrainLabels, TestLabels);
        files["t10k-images-idx3-ubyte"] = Images(3, 3, 2, new byte[18]);
        WriteAll(temp.Path, files);

        var error = Assert.Throws<DataFormatException>(() => MnistSplit.Load(temp.Path));

        Assert.Contains("t10k-images-idx3-ubyte has 3×2 images but", error.Message);
    }

    [Fact]
    public void BrokenFileInTheFolderIsNamed()
    {
        var files = FolderFiles(TrainLabels, TestLabels);
        files["t10k-labels-idx1-ubyte"] = Labels(1, 2); // three test images, two labels
        WriteAll(temp.Path, files);

        var error = Assert.Throws<DataFormatException>(() => MnistSplit.Load(temp.Path));

        Assert.Contains("t10k-images-idx3-ubyte has 3 images but", error.Message);
        Assert.Contains("t10k-labels-idx1-ubyte has 2 labels", error.Message);
    }
}
