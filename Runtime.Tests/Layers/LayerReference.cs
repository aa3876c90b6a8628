using System.Numerics;
using Dsl.Layers;

namespace Dsl.Tests.Layers;

/// <summary>Random test data: uniform values that are never exactly zero, so that a dropped or doubled term shows.</summary>
internal static class TestData
{
    public static double[] Uniform(Random random, int length, double low = -1, double high = 1)
    {
        var values = new double[length];
        for (int i = 0; i < length; i++)
        {
            double v;
            do v = low + (high - low) * random.NextDouble(); while (v == 0);
            values[i] = v;
        }
        return values;
    }

    /// <summary>The values in precision T.</summary>
    public static T[] To<T>(double[] values) where T : unmanaged, IFloatingPointIeee754<T> =>
        values.Select(T.CreateChecked).ToArray();

    /// <summary>The values exactly as T holds them, back in double (for references computed from the same inputs).</summary>
    public static double[] Rounded<T>(double[] values) where T : unmanaged, IFloatingPointIeee754<T> =>
        values.Select(v => double.CreateChecked(T.CreateChecked(v))).ToArray();

    public static double[] ToDouble<T>(T[] values) where T : unmanaged, IFloatingPointIeee754<T> =>
        values.Select(double.CreateChecked).ToArray();

    /// <summary>f(z) in double.</summary>
    public static double Apply(Activation activation, double z) => activation switch
    {
        Activation.Sigmoid => 1 / (1 + Math.Exp(-z)),
        Activation.Tanh => Math.Tanh(z),
        Activation.Relu => Math.Max(z, 0),
        _ => z,
    };
}

/// <summary>Direct convolution in double, by plain nested loops over the definition.</summary>
internal static class ConvReference
{
    /// <summary>Pre-activations z and, for tolerances, |b| + Σ|x·w| per output.</summary>
    public static (double[] Z, double[] Scale) Forward(double[] x, double[] w, double[] b, int count, ConvShape s)
    {
        int ho = s.OutputHeight, wo = s.OutputWidth;
        var z = new double[count * s.OutputSize];
        var scale = new double[z.Length];
        for (int n = 0; n < count; n++)
            for (int f = 0; f < s.Filters; f++)
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++)
                    {
                        double sum = b[f], magnitude = Math.Abs(b[f]);
                        for (int c = 0; c < s.Channels; c++)
                            for (int ki = 0; ki < s.KernelHeight; ki++)
                                for (int kj = 0; kj < s.KernelWidth; kj++)
                                {
                                    int iy = oy * s.Stride - s.Padding + ki, ix = ox * s.Stride - s.Padding + kj;
                                    if (iy < 0 || iy >= s.Height || ix < 0 || ix >= s.Width) continue;
                                    double term = x[((n * s.Channels + c) * s.Height + iy) * s.Width + ix] *
                                                  w[((f * s.Channels + c) * s.KernelHeight + ki) * s.KernelWidth + kj];
                                    sum += term;
                                    magnitude += Math.Abs(term);
                                }
                        int index = ((n * s.Filters + f) * ho + oy) * wo + ox;
                        z[index] = sum;
                        scale[index] = magnitude;
                    }
        return (z, scale);
    }

    /// <summary>dW, db and dx for dz, each with Σ|terms| per entry.</summary>
    public static Gradients Backward(double[] x, double[] w, double[] dz, int count, ConvShape s)
    {
        int ho = s.OutputHeight, wo = s.OutputWidth;
        var g = new Gradients(new double[s.WeightCount], new double[s.WeightCount], new double[s.Filters], new double[s.Filters],
            new double[count * s.InputSize], new double[count * s.InputSize]);
        for (int n = 0; n < count; n++)
            for (int f = 0; f < s.Filters; f++)
                for (int oy = 0; oy < ho; oy++)
                    for (int ox = 0; ox < wo; ox++)
                    {
                        double d = dz[((n * s.Filters + f) * ho + oy) * wo + ox];
                        g.Db[f] += d;
                        g.DbScale[f] += Math.Abs(d);
                        for (int c = 0; c < s.Channels; c++)
                            for (int ki = 0; ki < s.KernelHeight; ki++)
                                for (int kj = 0; kj < s.KernelWidth; kj++)
                                {
                                    int iy = oy * s.Stride - s.Padding + ki, ix = ox * s.Stride - s.Padding + kj;
                                    if (iy < 0 || iy >= s.Height || ix < 0 || ix >= s.Width) continue;
                                    int xi = ((n * s.Channels + c) * s.Height + iy) * s.Width + ix;
                                    int wi = ((f * s.Channels + c) * s.KernelHeight + ki) * s.KernelWidth + kj;
                                    g.Dw[wi] += d * x[xi];
                                    g.DwScale[wi] += Math.Abs(d * x[xi]);
                                    g.Dx[xi] += d * w[wi];
                                    g.DxScale[xi] += Math.Abs(d * w[wi]);
                                }
                    }
        return g;
    }

    internal sealed record Gradients(double[] Dw, double[] DwScale, double[] Db, double[] DbScale, double[] Dx, double[] DxScale);
}

/// <summary>Max pooling in double by plain loops: the first maximum in row-major window order.</summary>
internal static class PoolReference
{
    public static (double[] Y, int[] Argmax) Forward(double[] x, int count, PoolShape s)
    {
        int ho = s.OutputHeight, wo = s.OutputWidth;
        var y = new double[count * s.OutputSize];
        var argmax = new int[y.Length];
        for (int plane = 0; plane < count * s.Channels; plane++)
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++)
                {
                    int best = -1;
                    for (int i = 0; i < s.Size; i++)
                        for (int j = 0; j < s.Size; j++)
                        {
                            int at = (plane * s.Height + oy * s.Stride + i) * s.Width + ox * s.Stride + j;
                            if (best < 0 || x[at] > x[best]) best = at;
                        }
                    int output = (plane * ho + oy) * wo + ox;
                    y[output] = x[best];
                    argmax[output] = best;
                }
        return (y, argmax);
    }

    public static double[] Backward(double[] dy, int[] argmax, int count, PoolShape s)
    {
        var dx = new double[count * s.InputSize];
        for (int i = 0; i < dy.Length; i++) dx[argmax[i]] += dy[i];
        return dx;
    }
}
