using System.Numerics;
using System.Runtime.CompilerServices;
using Dsl.Layers;

namespace Dsl.Cpu;

/// <summary>
/// The lowering of a convolution to a matrix product (Caffe's im2col) and its adjoint. For one image x (C, H, W), the
/// column matrix has one row per weight position r = (c, ki, kj) of a filter and one column per output pixel
/// (oy, ox): col[r, oy·Wo + ox] = x[c, oy·s − p + ki, ox·s − p + kj], zero where that falls in the padding. Then a
/// filter bank W (F, C·kh·kw) gives the image's output as the product W·col (F, Ho·Wo).
/// </summary>
/// <remarks>Pure copies and single additions: the result does not depend on how the loops are vectorised.</remarks>
internal static unsafe class Im2Col
{
    /// <summary>Writes the <see cref="ConvShape.PatchSize"/> × <see cref="ConvShape.OutputPixels"/> column matrix of
    /// the image at <paramref name="x"/> to <paramref name="columns"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Lower<T>(in ConvShape shape, T* x, T* columns) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int height = shape.Height, width = shape.Width, kernelHeight = shape.KernelHeight, kernelWidth = shape.KernelWidth;
        int stride = shape.Stride, padding = shape.Padding;
        int outputHeight = shape.OutputHeight, outputWidth = shape.OutputWidth, pixels = outputHeight * outputWidth;
        if (stride == 1 && padding == 0)
        {
            LowerDense(x, columns, shape.Channels, height, width, kernelHeight, kernelWidth, outputHeight, outputWidth);
            return;
        }
        T* row = columns;
        for (int c = 0; c < shape.Channels; c++)
        {
            T* plane = x + (nint)c * height * width;
            for (int ki = 0; ki < kernelHeight; ki++)
            {
                ValidRange(ki, padding, stride, height, outputHeight, out int oyFirst, out int oyEnd);
                for (int kj = 0; kj < kernelWidth; kj++, row += pixels)
                {
                    ValidRange(kj, padding, stride, width, outputWidth, out int oxFirst, out int oxEnd);
                    int valid = oxEnd - oxFirst;
                    Clear(row, oyFirst * outputWidth);
                    Clear(row + oyEnd * outputWidth, (outputHeight - oyEnd) * outputWidth);
                    if (oyEnd == oyFirst) continue;
                    T* source = plane + (nint)(oyFirst * stride - padding + ki) * width + oxFirst * stride - padding + kj;
                    T* target = row + oyFirst * outputWidth;
                    nint sourceStep = (nint)stride * width;
                    if (valid < outputWidth)
                    {
                        // Padding on the left or right of this row: clear the output row's ends first.
                        for (int oy = oyFirst; oy < oyEnd; oy++, target += outputWidth)
                        {
                            Clear(target, oxFirst);
                            Clear(target + oxEnd, outputWidth - oxEnd);
                        }
                        target = row + oyFirst * outputWidth;
                    }
                    target += oxFirst;
                    int rows = oyEnd - oyFirst;
                    if (stride == 1) CopyRows(source, sourceStep, target, outputWidth, rows, valid);
                    else
                        for (int r = 0; r < rows; r++, source += sourceStep, target += outputWidth)
                            for (int i = 0; i < valid; i++) target[i] = source[i * stride];
                }
            }
        }
    }

    /// <summary><see cref="Lower{T}"/> for stride 1 without padding (every row of the column matrix is a window of
    /// the input, with nothing to clear), kept small so that its loop variables stay in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LowerDense<T>(T* x, T* columns, int channels, int height, int width, int kernelHeight,
        int kernelWidth, int outputHeight, int outputWidth) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int pixels = outputHeight * outputWidth;
        for (int c = 0; c < channels; c++, x += height * width)
            for (int ki = 0; ki < kernelHeight; ki++)
                for (int kj = 0; kj < kernelWidth; kj++, columns += pixels)
                    CopyRows(x + ki * width + kj, width, columns, outputWidth, outputHeight, outputWidth);
    }

    /// <summary>Copies <paramref name="rows"/> rows of <paramref name="count"/> contiguous elements between
    /// strided rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CopyRows<T>(T* source, nint sourceStride, T* target, nint targetStride, int rows, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = Vector<T>.Count;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && count >= lanes)
        {
            // Whole vectors, the last one overlapping the one before when the count is not a multiple.
            int last = count - lanes;
            for (int r = 0; r < rows; r++, source += sourceStride, target += targetStride)
            {
                for (int i = 0; i < last; i += lanes)
                    Unsafe.WriteUnaligned(target + i, Unsafe.ReadUnaligned<Vector<T>>(source + i));
                Unsafe.WriteUnaligned(target + last, Unsafe.ReadUnaligned<Vector<T>>(source + last));
            }
            return;
        }
        for (int r = 0; r < rows; r++, source += sourceStride, target += targetStride)
            for (int i = 0; i < count; i++) target[i] = source[i];
    }

    /// <summary>The adjoint of <see cref="Lower{T}"/>: overwrites the image gradient at <paramref name="x"/> (C, H, W)
    /// with the sum, over every column-matrix entry, of that entry added at the input element it was copied from.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Raise<T>(in ConvShape shape, T* columns, T* x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int height = shape.Height, width = shape.Width, kernelHeight = shape.KernelHeight, kernelWidth = shape.KernelWidth;
        int stride = shape.Stride, padding = shape.Padding;
        int outputHeight = shape.OutputHeight, outputWidth = shape.OutputWidth, pixels = outputHeight * outputWidth;
        Clear(x, shape.InputSize);
        if (stride == 1 && padding == 0)
        {
            RaiseDense(columns, x, shape.Channels, height, width, kernelHeight, kernelWidth, outputHeight, outputWidth);
            return;
        }
        T* row = columns;
        for (int c = 0; c < shape.Channels; c++)
        {
            T* plane = x + (nint)c * height * width;
            for (int ki = 0; ki < kernelHeight; ki++)
            {
                ValidRange(ki, padding, stride, height, outputHeight, out int oyFirst, out int oyEnd);
                for (int kj = 0; kj < kernelWidth; kj++, row += pixels)
                {
                    ValidRange(kj, padding, stride, width, outputWidth, out int oxFirst, out int oxEnd);
                    int valid = oxEnd - oxFirst;
                    for (int oy = oyFirst; oy < oyEnd; oy++)
                    {
                        T* source = row + oy * outputWidth + oxFirst;
                        T* target = plane + (nint)(oy * stride - padding + ki) * width + oxFirst * stride - padding + kj;
                        if (stride == 1) Add(source, target, valid);
                        else for (int i = 0; i < valid; i++) target[i * stride] += source[i];
                    }
                }
            }
        }
    }

    /// <summary><see cref="Raise{T}"/> for stride 1 without padding, after the clearing.</summary>
    /// <remarks>Rows are added in the order (c, kj, ki, oy), not in the column matrix's (c, ki, kj, oy): the rows for
    /// kj and kj + 1 overlap one element apart, and a vector load overlapping a store still in flight at another
    /// offset cannot take its data from it (a store-forwarding stall, which doubled the time). In this order a row's
    /// last writer at another offset is kh·Ho rows back, and rows one ki apart meet at the same offset.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RaiseDense<T>(T* columns, T* x, int channels, int height, int width, int kernelHeight,
        int kernelWidth, int outputHeight, int outputWidth) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int pixels = outputHeight * outputWidth;
        for (int c = 0; c < channels; c++, x += height * width, columns += kernelHeight * kernelWidth * pixels)
            for (int kj = 0; kj < kernelWidth; kj++)
                for (int ki = 0; ki < kernelHeight; ki++)
                {
                    T* source = columns + (ki * kernelWidth + kj) * pixels, target = x + ki * width + kj;
                    for (int oy = 0; oy < outputHeight; oy++, source += outputWidth, target += width)
                        Add(source, target, outputWidth);
                }
    }

    /// <summary>The outputs o in [<paramref name="first"/>, <paramref name="end"/>) whose input coordinate
    /// o·stride − padding + offset lies inside [0, <paramref name="size"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ValidRange(int offset, int padding, int stride, int size, int outputs, out int first, out int end)
    {
        int low = padding - offset; // o·stride ≥ low
        int high = size - 1 + padding - offset; // o·stride ≤ high
        if (stride == 1)
        {
            // No divisions on the common path: they cost more than copying a short row.
            first = Math.Clamp(low, 0, outputs);
            end = Math.Clamp(high + 1, 0, outputs);
        }
        else
        {
            first = low <= 0 ? 0 : Math.Min(outputs, (low + stride - 1) / stride);
            end = high < 0 ? 0 : Math.Min(outputs, high / stride + 1);
        }
        if (end < first) end = first;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Clear<T>(T* target, int count) where T : unmanaged
    {
        if (count > 0) new Span<T>(target, count).Clear();
    }

    /// <summary>target[i] += source[i] for a short row (no overlap tricks here: each element is added once).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add<T>(T* source, T* target, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int lanes = Vector<T>.Count;
            for (; i <= count - lanes; i += lanes)
                Unsafe.WriteUnaligned(target + i,
                    Unsafe.ReadUnaligned<Vector<T>>(target + i) + Unsafe.ReadUnaligned<Vector<T>>(source + i));
        }
        for (; i < count; i++) target[i] += source[i];
    }
}
