using Dsl.Data;
using Dsl.Tests.Data;

namespace Dsl.Tests.Checkpoints;

/// <summary>Small learnable image sets made by the tests: each class a fixed random prototype plus noise.</summary>
internal static class SyntheticData
{
    /// <summary>Train, validation and test sets of <paramref name="side"/>×<paramref name="side"/> images in memory.</summary>
    public static (Dataset Train, Dataset Validation, Dataset Test) Sets(int side = 8, int classes = 4, int train = 400, int validation = 100,
        int test = 100, int seed = 5)
    {
        var random = new Random(seed);
        byte[][] prototypes = Prototypes(random, side * side, classes);
        Dataset Make(int count)
        {
            var (pixels, labels) = Draw(random, prototypes, count);
            return new Dataset(Array.ConvertAll(pixels, p => p / 255f), Array.ConvertAll(labels, l => (int)l), side, side, classes);
        }
        return (Make(train), Make(validation), Make(test));
    }

    /// <summary>Writes a set under MNIST's file names into <paramref name="folder"/>, for the CLI.</summary>
    public static void WriteMnistFolder(string folder, int side = 28, int classes = 4, int trainCount = 720, int testCount = 120, int seed = 5)
    {
        var random = new Random(seed);
        byte[][] prototypes = Prototypes(random, side * side, classes);
        var (trainPixels, trainLabels) = Draw(random, prototypes, trainCount);
        var (testPixels, testLabels) = Draw(random, prototypes, testCount);
        File.WriteAllBytes(Path.Combine(folder, "train-images-idx3-ubyte"), IdxTestData.Images(trainCount, side, side, trainPixels));
        File.WriteAllBytes(Path.Combine(folder, "train-labels-idx1-ubyte"), IdxTestData.Labels(trainLabels));
        File.WriteAllBytes(Path.Combine(folder, "t10k-images-idx3-ubyte"), IdxTestData.Images(testCount, side, side, testPixels));
        File.WriteAllBytes(Path.Combine(folder, "t10k-labels-idx1-ubyte"), IdxTestData.Labels(testLabels));
    }

    private static byte[][] Prototypes(Random random, int pixels, int classes) =>
        Enumerable.Range(0, classes).Select(_ => Enumerable.Range(0, pixels).Select(_ => (byte)random.Next(256)).ToArray()).ToArray();

    private static (byte[] Pixels, byte[] Labels) Draw(Random random, byte[][] prototypes, int count)
    {
        int size = prototypes[0].Length;
        var pixels = new byte[count * size];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = (byte)random.Next(prototypes.Length);
            for (int p = 0; p < size; p++)
                pixels[i * size + p] = (byte)Math.Clamp(prototypes[labels[i]][p] + random.Next(-120, 121), 0, 255);
        }
        return (pixels, labels);
    }
}
