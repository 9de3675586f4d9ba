// Package datagen is a source that generates records, for demos and load
// tests.
//
// Record n (counting from 0) has key n in decimal and the JSON value
// {"id": n, "ts": <generation time, ms>, "payload": "<payload.bytes random
// characters from [A-Za-z0-9_-]>"}. The payload depends only on seed and n, so
// two generators with one seed produce the same records but for ts, and a
// restarted generator continues exactly where the stopped one was.
//
// The position is partition {"datagen": <connector name, or "datagen">} and
// offset {"next": n+1}; Open resumes at the stored next. rate is records per
// second (0: as fast as the pipeline takes them) and count the total over all
// restarts (0: unlimited); once count records were generated, Read blocks
// until its context ends.
package datagen
