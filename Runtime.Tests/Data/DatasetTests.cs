using Dsl.Data;
using Xunit;
using static Dsl.Tests.Data.IdxTestData;

namespace Dsl.Tests.Data;

public sealed class DatasetTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private (string Images, string Labels) WriteSet(int count, byte[] labels, bool gzip = false)
    {
        string images = temp.File(gzip ? "images-idx3-ubyte.gz" : "images-idx3-ubyte");
        string labelsPath = temp.File(gzip ? "labels-idx1-ubyte.gz" : "labels-idx1-ubyte");
        byte[] imageFile = Images(count, 2, 3, Pixels(count * 6));
        byte[] labelFile = Labels(labels);
        File.WriteAllBytes(images, gzip ? Gzip(imageFile) : imageFile);
        File.WriteAllBytes(labelsPath, gzip ? Gzip(labelFile) : labelFile);
        return (images, labelsPath);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadsImagesAndLabelsAndInfersClasses(bool gzip)
    {
        (string images, string labels) = WriteSet(4, [3, 0, 6, 1], gzip);

        Dataset set = Dataset.Load(images, labels);

        Assert.Equal(4, set.Count);
        Assert.Equal((1, 2, 3, 6), (set.Channels, set.Height, set.Width, set.Features));
        Assert.Equal(7, set.Classes);
        Assert.Equal([3, 0, 6, 1], set.Labels);
        Assert.Equal(Pixels(24).Select(p => p / 255f).ToArray(), set.Images);
    }

    [Fact]
    public void GivenClassesAreKept()
    {
        (string images, string labels) = WriteSet(2, [1, 0]);
        Assert.Equal(10, Dataset.Load(images, labels, classes: 10).Classes);
    }

    [Fact]
    public void RejectsLabelsNotBelowGivenClasses()
    {
        (string images, string labels) = WriteSet(4, [3, 0, 10, 1]);

        var error = Assert.Throws<DataFormatException>(() => Dataset.Load(images, labels, classes: 10));

        Assert.StartsWith(labels + ": ", error.Message);
        Assert.Contains("label 10 at index 2 is out of range for 10 classes (0–9)", error.Message);
    }

    [Fact]
    public void RejectsCountMismatchNamingBothFiles()
    {
        string images = temp.File("images-idx3-ubyte");
        string labels = temp.File("labels-idx1-ubyte");
        File.WriteAllBytes(images, Images(5, 2, 3, Pixels(30)));
        File.WriteAllBytes(labels, Labels(1, 2, 3, 4));

        var error = Assert.Throws<DataFormatException>(() => Dataset.Load(images, labels));

        Assert.Contains($"{images} has 5 images but {labels} has 4 labels", error.Message);
    }

    [Fact]
    public void SliceCopiesARange()
    {
        var set = new Dataset(Enumerable.Range(0, 8).Select(i => (float)i).ToArray(), [0, 1, 2, 3], 1, 2, 5);

        Dataset slice = set.Slice(1, 2);

        Assert.Equal([2f, 3f, 4f, 5f], slice.Images);
        Assert.Equal([1, 2], slice.Labels);
        Assert.Equal((2, 5, 1, 2), (slice.Count, slice.Classes, slice.Height, slice.Width));
        slice.Images[0] = -1;
        Assert.Equal(2f, set.Images[2]);
        Assert.Equal(0, set.Slice(4, 0).Count);
    }

    [Theory]
    [InlineData(-1, 1)]
    [InlineData(0, 5)]
    [InlineData(3, 2)]
    [InlineData(1, -1)]
    [InlineData(int.MaxValue, 1)]
    public void SliceRejectsRangesOutside(int start, int count)
    {
        var set = new Dataset(new float[8], [0, 1, 2, 3], 1, 2, 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Slice(start, count));
    }

    [Fact]
    public void ConstructorChecksShapesAndLabels()
    {
        Assert.Throws<ArgumentException>(() => new Dataset(new float[7], [0, 1], 2, 2, 2));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Dataset(new float[8], [0, 2], 2, 2, 2));
        Assert.Contains("label 2 at index 1", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dataset(new float[8], [0, -1], 2, 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dataset(new float[8], [0, 1], 2, 2, 0));
    }
}
