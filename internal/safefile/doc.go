// Package safefile opens the files a user names on the command line (specs,
// token files, databases) without the hazards of files that are not
// regular: a named pipe blocks its reader until someone writes (and a
// blocked read ignores SIGINT and SIGTERM), and a device such as /dev/zero
// never ends. ReadRegular opens without blocking, refuses anything but a
// regular file and reads at most a given number of bytes; CheckRegular
// vets a path another library will open (a bbolt database).
//
// Stage writes a set of files (a report) into a directory all together or
// not at all; each file is written by internal/atomicfile, pinnsweep's one
// atomic file writer.
package safefile
