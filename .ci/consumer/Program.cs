using Dsl;
using Dsl.Data;
using Dsl.Training;
using static Dsl.Activation;

// Synthetic 6×6 images of 3 classes: each class a fixed random pattern plus noise.
var random = new Random(7);
float[][] patterns = [.. Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 36).Select(_ => random.NextSingle()).ToArray())];
Dataset Make(int count)
{
    var images = new float[count * 36];
    var labels = new int[count];
    for (int i = 0; i < count; i++)
    {
        labels[i] = random.Next(3);
        for (int p = 0; p < 36; p++)
            images[i * 36 + p] = Math.Clamp(patterns[labels[i]][p] + (random.NextSingle() - 0.5f) * 0.6f, 0f, 1f);
    }
    return new Dataset(images, labels, 6, 6, 3);
}

using ComputeDevice device = ComputeDevice.Open(DeviceKind.Cpu);
using INetwork network = Tiny.Create(device, batchCapacity: 10, seed: 1);
TrainingResult result = Trainer.Train(network, Make(200), Make(50), Make(50),
    new TrainerOptions { BatchSize = 10, LearningRate = 0.1f, Epochs = 3 });
Console.WriteLine($"{Tiny.Info.Summary}: {Tiny.ParameterCount} parameters, {result.Epochs} epochs, test error {result.TestErrorPercent:F1}%");
return result.TestErrorPercent < 50 ? 0 : 1; // chance is 66.7%

[Input(1, 6, 6)]
[Conv(3, 3, 4, Relu)]
[MaxPool(2)]
[Dense(3, Softmax)]
public partial class Tiny { }
