using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Dsl.Cpu;

// The column matrix of a convolution with stride 1 and no padding, packed for the GEMM straight from the image: row
// r = (c, ki, kj) of col is the window of input plane c at (ki, kj), so its element at pixel (oy, ox) lies at
// rowOffsets[r] + oy·W + ox in the image. Packing from the image, which stays in L1, saves writing the whole column
// matrix (PatchSize × Ho·Wo, beyond L1) and reading it back to pack it. The packed values, and so the products, are
// the same as packing the stored column matrix.

/// <summary>[col; 1] (PatchSize + 1 rows, one per weight and the bias; Ho·Wo columns) of one image, for the forward
/// pass Y = [W | b]·[col; 1].</summary>
internal readonly unsafe struct ColumnPanels(float* image, int* rowOffsets, int patch, int width, int outputWidth)
    : IPanelSource<float>
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int p0, int depth, int j0, int columns, float* packed, int panelWidth)
    {
        int oyFirst = j0 / outputWidth, oxFirst = j0 - oyFirst * outputWidth;
        // The common case (LeNet5's conv2: four rows of 8 per panel): whole output rows, copied as one strided block.
        bool wholeRows = oxFirst == 0 && columns % outputWidth == 0;
        for (int p = p0; p < p0 + depth; p++, packed += panelWidth)
        {
            if (p == patch) new Span<float>(packed, columns).Fill(1f);
            else if (wholeRows)
                Im2Col.CopyRows(image + rowOffsets[p] + oyFirst * width, width, packed, outputWidth, columns / outputWidth, outputWidth);
            else
            {
                // Runs of the input's rows: to the end of the first output row, then whole output rows.
                float* window = image + rowOffsets[p], target = packed;
                for (int oy = oyFirst, ox = oxFirst, left = columns; left > 0; oy++, ox = 0)
                {
                    int run = Math.Min(outputWidth - ox, left);
                    Im2Col.CopyRows(window + oy * width + ox, 0, target, 0, 1, run);
                    target += run;
                    left -= run;
                }
            }
            if (columns < panelWidth) new Span<float>(packed + columns, panelWidth - columns).Clear();
        }
    }
}

/// <summary>[col; 1]ᵀ (Ho·Wo rows, one per pixel; PatchSize + 1 columns) of one image, for the weight gradient
/// [dW | db] += dZ·[col; 1]ᵀ. Blocks of 8 pixels within an output row and 8 rows of col are transposed in registers
/// from 8 runs of the input; pixels whose block crosses an output row are copied one by one.</summary>
internal readonly unsafe struct TransposedColumnPanels(float* image, int* rowOffsets, int patch, int width, int outputWidth)
    : IPanelSource<float>
{
    private const int Block = 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int p0, int depth, int j0, int columns, float* packed, int panelWidth)
    {
        // Each of a block's 8 columns of the panel reads a window of the image (stepping with the pixel), the bias's
        // row of ones, or zeros past the last column (both fixed).
        float* constants = stackalloc float[2 * Block];
        new Span<float>(constants, Block).Fill(1f);
        new Span<float>(constants + Block, Block).Clear();
        float** bases = stackalloc float*[Block];
        int* steps = stackalloc int[Block];
        for (int q0 = 0; q0 < panelWidth; q0 += Block)
        {
            for (int i = 0; i < Block; i++)
            {
                int q = q0 + i, r = j0 + q;
                bool window = q < columns && r < patch;
                bases[i] = window ? image + rowOffsets[r] : q < columns && r == patch ? constants : constants + Block;
                steps[i] = window ? 1 : 0;
            }
            float* target = packed + q0;
            int oy = p0 / outputWidth, ox = p0 - oy * outputWidth;
            for (int p = p0, end = p0 + depth; p < end;)
            {
                int pixel = oy * width + ox;
                if (ox + Block <= outputWidth && p + Block <= end)
                {
                    Gemm.TransposeAndStore(
                        Vector256.Load(bases[0] + steps[0] * pixel), Vector256.Load(bases[1] + steps[1] * pixel),
                        Vector256.Load(bases[2] + steps[2] * pixel), Vector256.Load(bases[3] + steps[3] * pixel),
                        Vector256.Load(bases[4] + steps[4] * pixel), Vector256.Load(bases[5] + steps[5] * pixel),
                        Vector256.Load(bases[6] + steps[6] * pixel), Vector256.Load(bases[7] + steps[7] * pixel),
                        target, panelWidth);
                    p += Block;
                    ox += Block;
                    target += Block * panelWidth;
                }
                else
                {
                    for (int i = 0; i < Block; i++) target[i] = bases[i][steps[i] * pixel];
                    p++;
                    ox++;
                    target += panelWidth;
                }
                if (ox == outputWidth)
                {
                    ox = 0;
                    oy++;
                }
            }
        }
    }
}
