#!/usr/bin/env node
console.log("hivedb: under construction");
